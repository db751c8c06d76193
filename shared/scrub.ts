import { redact } from './auth/redact.js';
import { errorMessage, errorName } from './lib/describe-error.js';

/**
 * The one scrubber for everything that leaves the process: logs, telemetry, chat alerts, HTTP problem
 * details, errors handed to the host. Error texts carry UCWA hrefs, which name people by SIP address, and
 * occasionally a credential; both are masked here.
 */

/** `alice@contoso.com`, `sip:alice@contoso.com`, and `alice%40contoso.com` as hrefs encode it. */
const ADDRESS = /[\w.+%-]+?(@|%40)([\w-]+(?:\.[\w-]+)+)/gi;
/** International numbers (`+1 425 555 0101`) and ten-digit ones (`425-555-0101`); not dates, sizes or ids. */
const PHONE = /\+\d[\d\s().-]{5,}\d|\b\d{3}[\s.-]?\d{3}[\s.-]?\d{4}\b/g;

/** `sip:alice@contoso.com` → `sip:•••@contoso.com`; phone numbers → `•••`; tokens and secrets → `[redacted]`. */
export function scrub(text: string): string {
  return redact(text)
    .replace(ADDRESS, (_match, at: string, domain: string) => `•••${at}${domain}`)
    .replace(PHONE, '•••');
}

/** Every string in `value`, at any depth, scrubbed. */
export function scrubDeep<T>(value: T): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map(scrubDeep) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubDeep(item)])) as T;
  }
  return value;
}

/** The same error with its message and stack scrubbed (name kept), for a host that logs what it catches. */
export function scrubError(error: unknown): Error {
  const scrubbed = new Error(scrub(errorMessage(error)));
  scrubbed.name = errorName(error);
  scrubbed.stack =
    error instanceof Error && error.stack ? scrub(error.stack) : `${scrubbed.name}: ${scrubbed.message}`;
  return scrubbed;
}
