import type { AuthChallenge } from './token-source.js';

/**
 * Parse UCWA's `WWW-Authenticate` challenges (docs/ucwa-protocol.md §3.1–§3.2): `Bearer trusted_issuers=…, client_id=…,
 * authorization_uri=…` and `MsRtcOAuth href=…,grant_type=…`. Several challenges may share one header.
 */
export function parseChallenges(headerValues: readonly string[]): AuthChallenge {
  const challenge: AuthChallenge = {};
  for (const value of headerValues) {
    for (const { scheme, params } of splitChallenges(value)) {
      if (scheme === 'bearer') {
        if (params.authorization_uri) challenge.authorizationUri = params.authorization_uri;
        if (params.client_id) challenge.clientId = params.client_id;
        if (params.trusted_issuers) challenge.trustedIssuers = splitList(params.trusted_issuers);
      } else if (scheme === 'msrtcoauth') {
        if (params.href) challenge.msRtcOAuthHref = params.href;
        if (params.grant_type) challenge.grantTypes = splitList(params.grant_type);
      }
    }
  }
  return challenge;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

const TOKEN = /\s*([A-Za-z][\w.-]*)\s*/y;
const PARAM = /\s*([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*/y;

/** A small RFC 9110 challenge tokenizer: schemes followed by comma-separated auth-params. */
function splitChallenges(header: string): { scheme: string; params: Record<string, string> }[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let at = 0;
  while (at < header.length) {
    TOKEN.lastIndex = at;
    const scheme = TOKEN.exec(header);
    if (!scheme?.[1]) break;
    at = TOKEN.lastIndex;
    const params: Record<string, string> = {};
    for (;;) {
      PARAM.lastIndex = at;
      const param = PARAM.exec(header);
      if (!param?.[1]) break;
      params[param[1].toLowerCase()] =
        param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
      at = PARAM.lastIndex;
      if (header[at] === ',') at++;
      else break;
    }
    out.push({ scheme: scheme[1].toLowerCase(), params });
    while (header[at] === ',' || header[at] === ' ') at++;
  }
  return out;
}
