import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChatSinkServer, startChatSink } from '../../dev/chat-sink/index.js';
import {
  ChatConfigError,
  createChatSinks,
  type DeliveryResult,
  HttpChatSink,
  newWebhookSecret,
  redactUrl,
  SINK_NAMES,
  scrubUrl,
  slackSink,
  teamsSink,
  ucwaImSink,
  webhookSink,
} from '../../shared/chat/index.js';
import { SettingsError } from '../../shared/config.js';
import { invitationNotice, lobbyNotice } from './notices.js';

const SECRET = newWebhookSecret();
/** Webhook URLs carry their credential in the path and query; none of it may appear in a message. */
const SECRET_PATH = '/workflows/0123456789abcdef/triggers/manual/paths/invoke';
const SECRET_QUERY = '?api-version=2016-06-01&sig=SUPERSECRETSIG';

let chat: ChatSinkServer;

beforeAll(async () => {
  chat = await startChatSink({ secret: SECRET });
});
afterAll(async () => {
  await chat.close();
});
afterEach(() => {
  chat.up();
  chat.clear();
});

function expectRedacted(result: DeliveryResult): void {
  expect(result.outcome).not.toBe('delivered');
  if (result.outcome === 'delivered') return;
  expect(result.message).toContain(chat.url);
  expect(result.message).not.toContain('0123456789abcdef');
  expect(result.message).not.toContain('SUPERSECRETSIG');
  expect(result.message).not.toContain('workflows');
}

describe('HTTP sinks against the local chat sink', () => {
  it('delivers a Teams card (202), a Slack message (200) and a signed webhook (200)', async () => {
    const notice = invitationNotice();
    await expect(teamsSink(`${chat.teamsUrl}${SECRET_PATH}${SECRET_QUERY}`).deliver(notice)).resolves.toEqual(
      {
        outcome: 'delivered',
        httpStatus: 202,
      },
    );
    await expect(slackSink(chat.slackUrl).deliver(notice)).resolves.toEqual({
      outcome: 'delivered',
      httpStatus: 200,
    });
    await expect(webhookSink(chat.webhookUrl, SECRET).deliver(notice)).resolves.toEqual({
      outcome: 'delivered',
      httpStatus: 200,
    });
    expect(chat.received.map((message) => message.channel)).toEqual(['teams', 'slack', 'webhook']);
    const [teams, slack, webhook] = chat.received;
    expect(teams?.body).toMatchObject({ type: 'message', attachments: [{ contentUrl: null }] });
    expect(teams?.headers['content-type']).toBe('application/json');
    expect(slack?.body).toMatchObject({ text: expect.any(String), blocks: expect.any(Array) });
    expect(webhook?.headers['webhook-id']).toBe('inv-1');
    expect(new Webhook(SECRET).verify(webhook?.raw ?? '', webhook?.headers ?? {})).toMatchObject({
      id: 'inv-1',
    });
  });

  it('classifies 5xx as retryable and honours Retry-After, without leaking the URL', async () => {
    chat.fail(1, 503, { retryAfter: '7' });
    const result = await teamsSink(`${chat.teamsUrl}${SECRET_PATH}${SECRET_QUERY}`).deliver(
      invitationNotice(),
    );
    expect(result).toMatchObject({ outcome: 'retry', httpStatus: 503, retryAfterMs: 7000 });
    // The injected failure echoes the request path; the sink scrubs it.
    expectRedacted(result);
    if (result.outcome !== 'delivered') expect(result.message).toContain('[redacted]');
    expect(chat.received).toHaveLength(0);
  });

  it('classifies 429 and 408 as retryable, with an HTTP-date Retry-After', async () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    chat.fail(1, 429, { retryAfter: 'Wed, 01 Jan 2025 00:01:00 GMT' });
    const sink = slackSink(chat.slackUrl, { now: () => now });
    await expect(sink.deliver(invitationNotice())).resolves.toMatchObject({
      outcome: 'retry',
      retryAfterMs: 60_000,
    });
    chat.fail(1, 408);
    await expect(sink.deliver(invitationNotice())).resolves.toMatchObject({
      outcome: 'retry',
      httpStatus: 408,
    });
  });

  it('classifies other 4xx as permanent, with a clear redacted message', async () => {
    chat.fail(1, 404);
    const result = await teamsSink(`${chat.teamsUrl}${SECRET_PATH}${SECRET_QUERY}`).deliver(
      invitationNotice(),
    );
    expect(result).toMatchObject({ outcome: 'failed', httpStatus: 404 });
    expectRedacted(result);
    if (result.outcome !== 'delivered')
      expect(result.message).toMatch(/^Teams webhook http:\/\/127\.0\.0\.1:\d+ answered 404/);
  });

  it('fails permanently when the receiver rejects the signature (wrong secret)', async () => {
    const result = await webhookSink(`${chat.webhookUrl}${SECRET_PATH}`, newWebhookSecret()).deliver(
      invitationNotice(),
    );
    expect(result).toMatchObject({ outcome: 'failed', httpStatus: 401 });
    expectRedacted(result);
    expect(chat.rejected).toEqual([
      { channel: 'webhook', status: 401, reason: 'signature: No matching signature found' },
    ]);
  });

  it('treats a reset connection as retryable', async () => {
    chat.down();
    const result = await teamsSink(`${chat.teamsUrl}${SECRET_PATH}${SECRET_QUERY}`).deliver(
      invitationNotice(),
    );
    expect(result.outcome).toBe('retry');
    expectRedacted(result);
    if (result.outcome !== 'delivered') expect(result.message).toContain('unreachable');
  });

  it('treats a refused connection as retryable', async () => {
    const closed = await startChatSink();
    const url = `${closed.teamsUrl}${SECRET_PATH}${SECRET_QUERY}`;
    await closed.close();
    const result = await teamsSink(url).deliver(invitationNotice());
    expect(result.outcome).toBe('retry');
    if (result.outcome !== 'delivered') {
      expect(result.message).toContain('ECONNREFUSED');
      expect(result.message).not.toContain('SUPERSECRETSIG');
    }
  });

  it('times out a receiver that never answers, as retryable', async () => {
    chat.stall();
    const result = await slackSink(chat.slackUrl, { timeoutMs: 100 }).deliver(invitationNotice());
    expect(result).toEqual({
      outcome: 'retry',
      message: `Slack webhook ${chat.url} did not answer within 100 ms`,
    });
  });

  it('does not follow redirects: they are permanent failures', async () => {
    const fetchRedirect: typeof fetch = async () =>
      new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/' } });
    const result = await teamsSink('https://prod.example/secret/path?sig=abc', {
      fetch: fetchRedirect,
    }).deliver(invitationNotice());
    expect(result).toMatchObject({ outcome: 'failed', httpStatus: 302 });
    if (result.outcome === 'failed') {
      expect(result.message).toContain('redirects are not followed');
      expect(result.message).not.toContain('secret');
    }
  });
});

describe('sink URLs', () => {
  it('must be https, or http on loopback', () => {
    expect(() => teamsSink('https://prod.example/hook')).not.toThrow();
    expect(() => teamsSink('http://127.0.0.1:9/hook')).not.toThrow();
    expect(() => teamsSink('http://localhost:9/hook')).not.toThrow();
    expect(() => teamsSink('http://[::1]:9/hook')).not.toThrow();
    expect(() => teamsSink('http://hooks.example/secret-path?sig=x')).toThrow(ChatConfigError);
    expect(() => teamsSink('ftp://hooks.example/x')).toThrow(/must be an https URL/);
    expect(() => teamsSink('not a url')).toThrow(ChatConfigError);
    expect(() => teamsSink('https://user:pass@hooks.example/x')).toThrow(/credentials/);
  });

  it('never appear in an error message or in the logged sink beyond scheme and host', () => {
    let message = '';
    try {
      slackSink('http://hooks.example/services/T000/B000/XXXXSECRET');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('http://hooks.example');
    expect(message).not.toContain('XXXXSECRET');
    const sink = slackSink('https://hooks.example/services/T000/B000/XXXXSECRET');
    expect(sink.target).toBe('https://hooks.example');
    expect(JSON.stringify(sink)).not.toContain('XXXXSECRET');
    expect(redactUrl('https://h.example:8443/p?q=1')).toBe('https://h.example:8443');
  });

  it('are checked by the generic constructor too', () => {
    expect(
      () =>
        new HttpChatSink({
          name: 'x',
          label: 'X',
          url: 'http://example.com/x',
          render: () => ({ body: '' }),
        }),
    ).toThrow(ChatConfigError);
  });
});

describe('createChatSinks', () => {
  it('builds the configured sinks in a fixed order', () => {
    const sinks = createChatSinks(
      {
        CHAT_TEAMS_WEBHOOK_URL: 'https://t.example/x',
        CHAT_SLACK_WEBHOOK_URL: 'https://s.example/x',
        CHAT_WEBHOOK_URL: 'https://w.example/x',
        CHAT_WEBHOOK_SECRET: SECRET,
      },
      { sendInstantMessage: async () => {} },
    );
    expect(sinks.map((sink) => sink.name)).toEqual(['teams', 'slack', 'webhook', 'ucwa-im']);
    expect(
      createChatSinks({ CHAT_SLACK_WEBHOOK_URL: 'https://s.example/x' }).map((sink) => sink.name),
    ).toEqual(['slack']);
    expect(createChatSinks({})).toEqual([]);
  });

  it('refuses a webhook secret that is not a whsec_ secret, without repeating it', () => {
    const build = () => webhookSink('https://w.example/x', 'hunter2-not-a-whsec');
    expect(build).toThrow(ChatConfigError);
    expect(build).toThrow(/whsec_/);
    expect(build).not.toThrow(/hunter2/);
  });

  it('requires the secret with the webhook URL', () => {
    expect(() => createChatSinks({ CHAT_WEBHOOK_URL: 'https://w.example/x' })).toThrow(SettingsError);
    expect(() => createChatSinks({ CHAT_WEBHOOK_URL: 'https://w.example/x' })).toThrow(/CHAT_WEBHOOK_SECRET/);
  });
});

describe('UCWA instant-message sink', () => {
  it('sends the plain-text rendering through the callback', async () => {
    const sent: string[] = [];
    const sink = ucwaImSink(async (text) => {
      sent.push(text);
    });
    expect(sink.name).toBe(SINK_NAMES.ucwaIm);
    await expect(sink.deliver(lobbyNotice())).resolves.toEqual({ outcome: 'delivered' });
    expect(sent[0]?.startsWith('[DRY-RUN] Would remove from the lobby: Guest 42')).toBe(true);
  });

  it('retries what the callback throws unless it says the failure is permanent', async () => {
    const throwing = (error: unknown) =>
      ucwaImSink(async () => {
        throw error;
      });
    await expect(throwing(new Error('socket hang up')).deliver(lobbyNotice())).resolves.toMatchObject({
      outcome: 'retry',
      message: 'UCWA instant message failed: socket hang up',
    });
    const throttled = Object.assign(new Error('throttled'), {
      action: 'throttled',
      retryAfterMs: 5000,
      status: 429,
    });
    await expect(throwing(throttled).deliver(lobbyNotice())).resolves.toMatchObject({
      outcome: 'retry',
      retryAfterMs: 5000,
      httpStatus: 429,
    });
    const gone = Object.assign(new Error('gone'), { action: 'target-gone', status: 404 });
    await expect(throwing(gone).deliver(lobbyNotice())).resolves.toMatchObject({
      outcome: 'failed',
      httpStatus: 404,
    });
    const permanent = Object.assign(new Error('no'), { retryable: false });
    await expect(throwing(permanent).deliver(lobbyNotice())).resolves.toMatchObject({ outcome: 'failed' });
  });
});

describe('scrubUrl', () => {
  it('removes the URL, its path and query, and long segments and values echoed alone', () => {
    const url = new URL(
      'https://prod.example/workflows/0123456789abcdef/invoke?api-version=2016-06-01&sig=SUPERSECRETSIG',
    );
    const echoed = `bad request for ${url.href}; path ${url.pathname}; token 0123456789abcdef; sig SUPERSECRETSIG`;
    const scrubbed = scrubUrl(echoed, url);
    expect(scrubbed).not.toContain('0123456789abcdef');
    expect(scrubbed).not.toContain('SUPERSECRETSIG');
    expect(scrubbed).toContain('bad request for [redacted]');
  });
});
