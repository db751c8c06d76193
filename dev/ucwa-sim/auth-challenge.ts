import type { SimResponse } from './http-types.js';
import { TOKEN_PATH } from './paths.js';

/** The two challenges a Skype for Business front end sends with every 401 (docs/ucwa-protocol.md §3.1; authorization_uri as in §3.2). */
export function challengeHeaders(origin: string, domain: string): string[] {
  return [
    `Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@${domain}", client_id="00000004-0000-0ff1-ce00-000000000000", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`,
    `MsRtcOAuth href="${origin}${TOKEN_PATH}",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`,
  ];
}

/** 401 with both challenges and an HTML body, as IIS answers it (not a UCWA JSON error). */
export function unauthorized(origin: string, domain: string): SimResponse {
  return {
    status: 401,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'WWW-Authenticate': challengeHeaders(origin, domain),
      'Cache-Control': 'no-cache',
    },
    body:
      '<!DOCTYPE html><html><head><title>401 - Unauthorized</title></head>' +
      '<body><h1>401 - Unauthorized: Access is denied due to invalid credentials.</h1></body></html>',
  };
}
