import { type Settings, SettingsError } from '../config.js';
import { errorMessage } from '../lib/describe-error.js';
import type { RenderOptions } from './clean-notice.js';
import { HttpChatSink, type HttpSinkOptions } from './http-sink.js';
import type { Notice } from './notice.js';
import { renderInstantMessage } from './render-im.js';
import { renderSlack } from './render-slack.js';
import { renderTeams } from './render-teams.js';
import { webhookRequest } from './render-webhook.js';
import { WebhookSigner } from './signature.js';
import { ChatConfigError, type ChatSink, type DeliveryResult } from './sink.js';

/** The sinks the gatekeeper knows, by the names the outbox records deliveries under. */
export const SINK_NAMES = { teams: 'teams', slack: 'slack', webhook: 'webhook', ucwaIm: 'ucwa-im' } as const;

export interface SinkOptions extends HttpSinkOptions {
  render?: RenderOptions;
}

export function teamsSink(url: string, options: SinkOptions = {}): HttpChatSink {
  return new HttpChatSink({
    ...options,
    name: SINK_NAMES.teams,
    label: 'Teams webhook',
    url,
    render: (notice) => ({ body: JSON.stringify(renderTeams(notice, options.render)) }),
  });
}

export function slackSink(url: string, options: SinkOptions = {}): HttpChatSink {
  return new HttpChatSink({
    ...options,
    name: SINK_NAMES.slack,
    label: 'Slack webhook',
    url,
    render: (notice) => ({ body: JSON.stringify(renderSlack(notice, options.render)) }),
  });
}

/**
 * The generic JSON webhook, signed by Standard Webhooks (see signature.ts) with every secret in `secrets`
 * (`whsec_…`, separated by spaces while one rotates).
 */
export function webhookSink(url: string, secrets: string, options: SinkOptions = {}): HttpChatSink {
  let signer: WebhookSigner;
  try {
    signer = new WebhookSigner(secrets);
  } catch (error) {
    throw new ChatConfigError(`JSON webhook: ${(error as Error).message}`);
  }
  return new HttpChatSink({
    ...options,
    name: SINK_NAMES.webhook,
    label: 'JSON webhook',
    url,
    render: (notice, nowMs) => webhookRequest(notice, signer, nowMs / 1000, options.render),
  });
}

/** Sends a plain-text summary; the gatekeeper wires it to the UCWA client. */
export type SendInstantMessage = (text: string) => Promise<void>;

/** UCWA error actions after which sending again cannot help (see shared/ucwa/errors.ts). */
const PERMANENT_ACTIONS = new Set(['fatal-configuration', 'target-gone', 'client-bug']);

/**
 * Classifies what the callback threw without importing the UCWA client: `retryable: false` or a permanent
 * UCWA `action` is permanent, anything else is retried (an outage must delay a summary, not lose it).
 */
function classify(error: unknown): DeliveryResult {
  const facts = (typeof error === 'object' && error !== null ? error : {}) as {
    retryable?: unknown;
    action?: unknown;
    retryAfterMs?: unknown;
    status?: unknown;
  };
  const message = `UCWA instant message failed: ${errorMessage(error)}`;
  const httpStatus = typeof facts.status === 'number' ? { httpStatus: facts.status } : {};
  if (
    facts.retryable === false ||
    (typeof facts.action === 'string' && PERMANENT_ACTIONS.has(facts.action))
  ) {
    return { outcome: 'failed', message, ...httpStatus };
  }
  const retryAfter = typeof facts.retryAfterMs === 'number' ? { retryAfterMs: facts.retryAfterMs } : {};
  return { outcome: 'retry', message, ...httpStatus, ...retryAfter };
}

export function ucwaImSink(send: SendInstantMessage, options: { render?: RenderOptions } = {}): ChatSink {
  return {
    name: SINK_NAMES.ucwaIm,
    async deliver(notice: Notice): Promise<DeliveryResult> {
      try {
        await send(renderInstantMessage(notice, options.render));
        return { outcome: 'delivered' };
      } catch (error) {
        return classify(error);
      }
    },
  };
}

export type ChatSettings = Pick<
  Settings,
  'CHAT_TEAMS_WEBHOOK_URL' | 'CHAT_SLACK_WEBHOOK_URL' | 'CHAT_WEBHOOK_URL' | 'CHAT_WEBHOOK_SECRET'
>;

export interface ChatSinksOptions extends SinkOptions {
  /** Adds the UCWA instant-message sink. */
  sendInstantMessage?: SendInstantMessage;
}

/**
 * Every sink the settings configure, in a fixed order (Teams, Slack, webhook, UCWA IM); none is an empty
 * list. A webhook URL without its secret is a configuration error: an unsigned webhook could be forged.
 */
export function createChatSinks(settings: ChatSettings, options: ChatSinksOptions = {}): ChatSink[] {
  const { sendInstantMessage, ...sinkOptions } = options;
  const sinks: ChatSink[] = [];
  if (settings.CHAT_TEAMS_WEBHOOK_URL) sinks.push(teamsSink(settings.CHAT_TEAMS_WEBHOOK_URL, sinkOptions));
  if (settings.CHAT_SLACK_WEBHOOK_URL) sinks.push(slackSink(settings.CHAT_SLACK_WEBHOOK_URL, sinkOptions));
  if (settings.CHAT_WEBHOOK_URL) {
    if (!settings.CHAT_WEBHOOK_SECRET) {
      throw new SettingsError('CHAT_WEBHOOK_SECRET', 'is required when CHAT_WEBHOOK_URL is set');
    }
    sinks.push(webhookSink(settings.CHAT_WEBHOOK_URL, settings.CHAT_WEBHOOK_SECRET, sinkOptions));
  }
  if (sendInstantMessage) sinks.push(ucwaImSink(sendInstantMessage, sinkOptions));
  return sinks;
}
