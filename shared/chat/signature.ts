import { createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Signatures for the generic webhook, by the Standard Webhooks specification (standardwebhooks.com) and
 * produced with its reference library, so any receiver verifies them with a stock library in its own
 * language. The signed content is `<webhook-id>.<webhook-timestamp>.<raw body>`, HMAC-SHA256 with the
 * base64-decoded part of a `whsec_` secret; `webhook-signature` holds one `v1,<base64>` per secret,
 * separated by spaces, so a receiver accepts either the old or the new secret while it rotates.
 */

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

export const SECRET_PREFIX = 'whsec_';
/** The specification asks for 24 to 64 random bytes. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

/** A fresh secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** What is wrong with one secret, in words that never repeat it; undefined when it is usable. */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return `must start with ${SECRET_PREFIX}`;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    return `must be ${SECRET_PREFIX} followed by standard base64`;
  }
  const bytes = Buffer.from(encoded, 'base64').length;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    return `must encode ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes (this one has ${bytes})`;
  }
  return undefined;
}

/** The secrets in a setting value: separated by spaces or commas, the current one first. */
export function splitWebhookSecrets(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/** The `webhook-id`: the notice id when it is printable ASCII of at most 200 characters, else `sha256:<hex>`. */
export function webhookId(noticeId: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(noticeId)
    ? noticeId
    : `sha256:${createHash('sha256').update(noticeId).digest('hex')}`;
}

/** Signs deliveries with every configured secret. Construction fails on an unusable secret. */
export class WebhookSigner {
  // Private: logging a sink must never show a key.
  readonly #keys: Webhook[];

  constructor(secrets: string | readonly string[]) {
    const list = typeof secrets === 'string' ? splitWebhookSecrets(secrets) : [...secrets];
    if (list.length === 0) throw new Error('no webhook secret');
    list.forEach((secret, index) => {
      const problem = webhookSecretProblem(secret);
      if (problem) throw new Error(`webhook secret ${index + 1}: ${problem}`);
    });
    this.#keys = list.map((secret) => new Webhook(secret));
  }

  /** The three Standard Webhooks headers for `body` sent at `timestampSec` (unix seconds). */
  headers(id: string, timestampSec: number, body: string): Record<string, string> {
    const at = new Date(Math.floor(timestampSec) * 1000);
    return {
      [WEBHOOK_ID_HEADER]: id,
      [WEBHOOK_TIMESTAMP_HEADER]: String(Math.floor(timestampSec)),
      [WEBHOOK_SIGNATURE_HEADER]: this.#keys.map((key) => key.sign(id, at, body)).join(' '),
    };
  }
}
