import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 signatures for the generic webhook, in the style of Stripe's: the signed content is
 * `<unix seconds>.<raw body>`, sent as `X-Gatekeeper-Signature: t=<unix seconds>,v1=<hex>`. The timestamp
 * inside the signed content lets receivers reject replays older than their tolerance.
 */

export const SIGNATURE_HEADER = 'X-Gatekeeper-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const DEFAULT_TOLERANCE_SEC = 300;

export type WebhookBody = string | Uint8Array;

function hmacHex(secret: string, timestamp: number, body: WebhookBody): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The `X-Gatekeeper-Signature` value for `body` sent at `timestampSec` (unix seconds). */
export function signWebhookBody(secret: string, body: WebhookBody, timestampSec: number): string {
  const t = Math.floor(timestampSec);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value.join(',') : value;
  }
  return undefined;
}

export type VerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

/**
 * Checks `X-Gatekeeper-Signature` against the raw request body (the exact bytes received, not re-serialised
 * JSON). Several `v1=` entries are accepted, so a sender can sign with an old and a new secret while the
 * secret rotates. Comparison is timing-safe; a timestamp further than `toleranceSec` from `nowSec` either
 * way fails.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: HeaderSource,
  body: WebhookBody,
  toleranceSec: number = DEFAULT_TOLERANCE_SEC,
  nowSec: number = Date.now() / 1000,
): VerifyResult {
  const value = header(headers, SIGNATURE_HEADER);
  if (!value) return { ok: false, reason: 'missing' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of value.split(',')) {
    const [key, item] = part.trim().split('=', 2);
    if (key === 't' && item && /^\d{1,12}$/.test(item)) timestamp = Number(item);
    else if (key === 'v1' && item && /^[0-9a-f]{64}$/i.test(item)) candidates.push(item.toLowerCase());
  }
  if (timestamp === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSec - timestamp) > toleranceSec) return { ok: false, reason: 'expired' };
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  let match = false;
  // Compare against every candidate, without stopping early, so timing says nothing about which matched.
  for (const candidate of candidates) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) match = true;
  }
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
