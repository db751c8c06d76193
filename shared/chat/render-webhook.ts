import { createHash } from 'node:crypto';
import { cleanNotice, type RenderOptions } from './clean-notice.js';
import type { Notice } from './notice.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signWebhookBody } from './signature.js';

/**
 * The generic JSON webhook body: the notice itself, cleaned (one line, no control or bidi characters,
 * capped) and with phone numbers masked, plus `schemaVersion`. Receivers format it themselves, so nothing is
 * escaped for any markup. The schema is described in shared/chat/README.md.
 */

export const WEBHOOK_SCHEMA_VERSION = 1;

export type WebhookPayload = { schemaVersion: typeof WEBHOOK_SCHEMA_VERSION } & Notice;

export function renderWebhook(notice: Notice, options: RenderOptions = {}): WebhookPayload {
  return { schemaVersion: WEBHOOK_SCHEMA_VERSION, ...cleanNotice(notice, options) };
}

/** The exact request: the body is serialised once, and that string is what the signature covers. */
export function webhookRequest(
  notice: Notice,
  secret: string,
  nowSec: number,
  options: RenderOptions = {},
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(renderWebhook(notice, options));
  return {
    body,
    headers: {
      [SIGNATURE_HEADER]: signWebhookBody(secret, body, nowSec),
      [IDEMPOTENCY_HEADER]: idempotencyKey(notice.id),
    },
  };
}

/** The notice id when it is a valid header value (printable ASCII, at most 200 characters), else `sha256:<hex>`. */
export function idempotencyKey(id: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(id) ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}
