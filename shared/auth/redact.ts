/**
 * Removes credentials from text bound for logs, errors or telemetry. Two layers: the exact secret values
 * the caller knows (password, client secret), and patterns that look like tokens or credential fields.
 */

const REDACTED = '[redacted]';

const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // JWTs (access and id tokens): three base64url segments, the first a JSON header.
  [/\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, REDACTED],
  [/\b(Bearer|Basic)\s+[\w+/=.~-]+/gi, `$1 ${REDACTED}`],
  // Skype for Business Server tokens carry the `cwt=` prefix.
  [/\bcwt=[\w+/=-]+/gi, `cwt=${REDACTED}`],
  // Form and query fields.
  [
    /\b(access_token|refresh_token|id_token|client_secret|client_assertion|password|device_code|code|sig|AccountKey|SharedAccessSignature)=([^&;\s"]+)/gi,
    `$1=${REDACTED}`,
  ],
  // JSON fields.
  [
    /"(access_token|refresh_token|id_token|client_secret|password|secret|device_code|accessToken|refreshToken|idToken)"\s*:\s*"[^"]*"/gi,
    `"$1":"${REDACTED}"`,
  ],
];

/** Secrets shorter than this are not replaced verbatim: they would shred ordinary words. */
const MIN_SECRET_LENGTH = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `text` with token-like strings and every given secret replaced by `[redacted]`. */
export function redact(text: string, secrets: Iterable<string | undefined> = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_SECRET_LENGTH) {
      result = result.replace(new RegExp(escapeRegExp(secret), 'g'), REDACTED);
    }
  }
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/** A redactor bound to a fixed set of secrets. */
export function createRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  const known = [...secrets].filter((secret): secret is string => Boolean(secret));
  return (text) => redact(text, known);
}
