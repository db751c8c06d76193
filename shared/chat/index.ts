/** The chat layer: renderers for each sink, delivery with retry classification, and a durable outbox. */
export { cleanNotice, type RenderOptions } from './clean-notice.js';
export { defang, escapeCardMarkdown, escapeSlack, type TextKind } from './escape.js';
export { ACTION_LABELS, modalityNoun, OUTCOME_LABELS } from './headline.js';
export {
  DEFAULT_SINK_TIMEOUT_MS,
  HttpChatSink,
  type HttpSinkInit,
  type HttpSinkOptions,
  isRetryableStatus,
  type SinkRequest,
} from './http-sink.js';
export { MASK, maskName, maskPhoneNumber, maskUri } from './mask.js';
export type {
  AlertNotice,
  DigestNotice,
  DigestSummary,
  EffectNotice,
  InvitationNotice,
  InvitationSummary,
  LobbyNotice,
  MeetingFacts,
  Notice,
  NoticeAction,
  NoticeDecision,
  SenderFacts,
} from './notice.js';
export {
  type BackoffPolicy,
  compactNotice,
  DEFAULT_BACKOFF,
  DEFAULT_LEASE_MS,
  type DrainOptions,
  type DrainResult,
  OUTBOX_PARTITION,
  OUTBOX_TABLE,
  Outbox,
  type OutboxEntity,
  OutboxError,
  type OutboxItem,
  type OutboxOptions,
  outboxRowKey,
  type SinkRecord,
  type SinkState,
} from './outbox.js';
export { noticeReference, REFERENCE_LENGTH } from './reference.js';
export { IM_MAX, renderInstantMessage } from './render-im.js';
export { renderSlack, type SlackBlock, type SlackMessage, type SlackText } from './render-slack.js';
export {
  ADAPTIVE_CARD_CONTENT_TYPE,
  type AdaptiveCard,
  type CardAction,
  type CardElement,
  renderTeams,
  renderTeamsCard,
  type TeamsMessage,
} from './render-teams.js';
export {
  renderWebhook,
  WEBHOOK_SCHEMA_VERSION,
  type WebhookPayload,
  webhookRequest,
} from './render-webhook.js';
export {
  newWebhookSecret,
  splitWebhookSecrets,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookSigner,
  webhookId,
  webhookSecretProblem,
} from './signature.js';
export {
  assertSinkUrl,
  ChatConfigError,
  type ChatSink,
  type DeliveryResult,
  redactUrl,
  scrubUrl,
} from './sink.js';
export {
  type ChatSettings,
  type ChatSinksOptions,
  createChatSinks,
  type SendInstantMessage,
  SINK_NAMES,
  type SinkOptions,
  slackSink,
  teamsSink,
  ucwaImSink,
  webhookSink,
} from './sinks.js';
export { cap, cleanOptional, cleanText, ELLIPSIS, HIDDEN_MARKER, TEXT_CAPS } from './text.js';
export {
  DRY_RUN_MARKER,
  DRY_RUN_NOTE,
  type Fact,
  type NoticeView,
  noticeView,
  readableTime,
  type Tone,
  WITHHELD_NOTE,
} from './view.js';
