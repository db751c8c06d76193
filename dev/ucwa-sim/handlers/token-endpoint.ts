import { jsonResponse, mediaType, type SimRequest, type SimResponse } from '../http-types.js';
import type { ResolvedOptions } from '../options.js';
import type { TokenStore } from '../tokens.js';

/** `400 {"error": ...}`; the human-readable reason goes to X-Ms-diagnostics, as the real server does. */
function tokenError(error: string, description: string): SimResponse {
  return jsonResponse(400, { error }, { 'X-Ms-diagnostics': `28000;reason="${description}"` });
}

/**
 * The MsRtcOAuth endpoint (`/WebTicket/oauthtoken`, docs/ucwa-protocol.md §3.1). Only the password grant can succeed here;
 * its token is valid on every origin of the simulator (on-premises tokens are server-wide) with both
 * Conversations scopes.
 */
export function tokenEndpoint(req: SimRequest, opts: ResolvedOptions, tokens: TokenStore): SimResponse {
  if (req.method !== 'POST') {
    return {
      status: 405,
      headers: { Allow: 'POST', 'Content-Type': 'text/plain' },
      body: 'Method not allowed',
    };
  }
  if (mediaType(req.headers['content-type']) !== 'application/x-www-form-urlencoded') {
    return tokenError('invalid_request', 'Expected application/x-www-form-urlencoded.');
  }
  const form = new URLSearchParams(req.body.toString('utf8'));
  const grantType = form.get('grant_type');
  if (!grantType) return tokenError('invalid_request', 'grant_type is required.');
  if (grantType === 'urn:microsoft.rtc:windows' || grantType === 'urn:microsoft.rtc:anonmeeting') {
    return tokenError('invalid_grant', `${grantType} is not available on this server.`);
  }
  if (grantType !== 'password')
    return tokenError('unsupported_grant_type', `Unsupported grant_type ${grantType}.`);
  const username = (form.get('username') ?? '').trim().toLowerCase();
  const password = form.get('password') ?? '';
  const account = [opts.account, ...opts.moreAccounts].find((candidate) =>
    [candidate.username, candidate.uri, candidate.uri.replace(/^sip:/i, '')]
      .map((name) => name.toLowerCase())
      .includes(username),
  );
  if (!account || password !== account.password) {
    return tokenError('invalid_grant', 'The user name or password is incorrect.');
  }
  const { token, expiresIn } = tokens.issue({ user: account.username });
  return jsonResponse(200, {
    access_token: token,
    token_type: 'Bearer',
    expires_in: expiresIn,
    ms_rtc_identityscope: 'local',
  });
}
