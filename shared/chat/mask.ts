/**
 * Phone numbers are personal data a chat channel rarely needs: show enough to recognise a caller's country
 * and area and the last digits, hide the rest.
 */

export const MASK = '•••';

/** `tel:+14251111111;ext=12` → `tel:+1425•••1111`; `+44 20 7946 0958` → `+4420•••0958`. */
export function maskPhoneNumber(value: string): string {
  const trimmed = value.trim();
  const scheme = /^tel:/i.test(trimmed) ? 'tel:' : '';
  // Parameters such as ;ext= or ;phone-context= are dropped: they are digits too.
  const number = trimmed.slice(scheme.length).split(';')[0] ?? '';
  const plus = number.trimStart().startsWith('+') ? '+' : '';
  const digits = number.replace(/\D/g, '');
  if (digits.length >= 9) return `${scheme}${plus}${digits.slice(0, 4)}${MASK}${digits.slice(-4)}`;
  if (digits.length >= 5) return `${scheme}${plus}${MASK}${digits.slice(-2)}`;
  return `${scheme}${MASK}`;
}

/** A bare phone number as a display name (PSTN callers are often named by their number). */
export function looksLikePhoneNumber(value: string): boolean {
  const trimmed = value.trim();
  return /^(tel:)?\+?[\d\s().-]+$/i.test(trimmed) && trimmed.replace(/\D/g, '').length >= 7;
}

/**
 * Masks phone numbers inside a URI: a `tel:` URI, or the user part of `sip:+14251111111@host;user=phone`.
 * Other URIs come back unchanged.
 */
export function maskUri(uri: string): string {
  if (/^tel:/i.test(uri.trim())) return maskPhoneNumber(uri);
  const sip = /^(sips?:)([^@;]+)(@.*)?$/i.exec(uri.trim());
  if (sip?.[2] && looksLikePhoneNumber(sip[2])) {
    return `${sip[1]}${maskPhoneNumber(sip[2])}${sip[3] ?? ''}`;
  }
  return uri;
}

/** A display name that is just a phone number is masked like one. */
export function maskName(name: string): string {
  return looksLikePhoneNumber(name) ? maskPhoneNumber(name) : name;
}
