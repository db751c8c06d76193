import { cleanNotice, type RenderOptions } from './clean-notice.js';
import type { Notice } from './notice.js';
import { noticeReference } from './reference.js';
import { WebhookSigner, webhookId } from './signature.js';

/**
 * The generic JSON webhook body: the notice itself, cleaned (one line, no control or bidi characters,
 * capped) and with phone numbers masked, plus `schemaVersion` and the short `ref` the chat formats show.
 * Receivers format it themselves, so nothing is escaped for any markup. The schema is described in
 * shared/chat/README.md.
 */

/** 2: Standard Webhooks headers, `ref`, meeting facts instead of the conversation href, `firstMessageWithheld`. */
export const WEBHOOK_SCHEMA_VERSION = 2;

export type WebhookPayload = { schemaVersion: typeof WEBHOOK_SCHEMA_VERSION; ref: string } & Notice;

export function renderWebhook(notice: Notice, options: RenderOptions = {}): WebhookPayload {
  return {
    schemaVersion: WEBHOOK_SCHEMA_VERSION,
    ref: noticeReference(notice.id),
    ...cleanNotice(notice, options),
  };
}

/** The exact request: the body is serialised once, and that string is what the signatures cover. */
export function webhookRequest(
  notice: Notice,
  signer: WebhookSigner | string,
  nowSec: number,
  options: RenderOptions = {},
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(renderWebhook(notice, options));
  const signing = typeof signer === 'string' ? new WebhookSigner(signer) : signer;
  // Notice ids are unique within an account's outbox; receivers that drop repeated ids see several accounts.
  const id = notice.account ? `${notice.account}|${notice.id}` : notice.id;
  return { body, headers: signing.headers(webhookId(id), nowSec, body) };
}
