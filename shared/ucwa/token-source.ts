/**
 * Where the UCWA client gets bearer tokens. One token per UCWA origin (scheme://host[:port]):
 * a token is only valid for the host it was issued for, so a redirect to a new host needs a new one.
 */
export interface TokenRequest {
  /** The origin the token will be sent to, e.g. `https://lyncweb.contoso.com`. */
  origin: string;
  /** Skip any cache: the previous token for this origin was refused (401). */
  forceRefresh?: boolean;
  /** The parsed `WWW-Authenticate` challenge of the 401 that led here, when there was one. */
  challenge?: AuthChallenge;
}

export interface TokenSource {
  getToken(request: TokenRequest): Promise<AccessToken>;
}

export interface AccessToken {
  /** Sent as `Authorization: Bearer <token>`; for Skype for Business Server it starts with `cwt=`. */
  token: string;
  /** Epoch milliseconds, when known. */
  expiresOn?: number;
  /**
   * Delegated scopes granted, without the resource prefix (`Conversations.Receive`), when known (the JWT's
   * `scp`). The client checks them against what an operation needs before sending it.
   */
  scopes?: string[];
}

/** What a UCWA 401 says about where to get a token (`WWW-Authenticate: Bearer …` and `MsRtcOAuth …`). */
export interface AuthChallenge {
  /** Azure AD authorization URI from the `Bearer` challenge. */
  authorizationUri?: string;
  /** Resource principal id from the `Bearer` challenge (`00000004-0000-0ff1-ce00-000000000000`). */
  clientId?: string;
  trustedIssuers?: string[];
  /** Skype for Business Server's own token endpoint from the `MsRtcOAuth` challenge. */
  msRtcOAuthHref?: string;
  /** Grant types the `MsRtcOAuth` endpoint accepts. */
  grantTypes?: string[];
}
