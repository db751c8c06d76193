import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatSinkServer, startChatSink } from '../../dev/chat-sink/index.js';
import { newWebhookSecret, renderSlack, renderTeams, webhookRequest } from '../../shared/chat/index.js';
import { invitationNotice } from './notices.js';

const opened: ChatSinkServer[] = [];
async function open(options: Parameters<typeof startChatSink>[0] = {}): Promise<ChatSinkServer> {
  const sink = await startChatSink(options);
  opened.push(sink);
  return sink;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((sink) => sink.close()));
});

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('local chat sink', () => {
  it('keeps what it receives, serves it on GET /received and appends it to a JSONL file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'chat-sink-'));
    try {
      const jsonlPath = join(directory, 'chat.jsonl');
      const sink = await open({ jsonlPath });
      const body = JSON.stringify(renderTeams(invitationNotice()));
      expect((await post(`${sink.teamsUrl}/any/path?sig=1`, body)).status).toBe(202);
      expect((await post(sink.slackUrl, '{"text":"hi"}')).status).toBe(200);

      const listed = (await (await fetch(`${sink.url}/received`)).json()) as Array<{
        channel: string;
        path: string;
      }>;
      expect(listed.map((message) => message.channel)).toEqual(['teams', 'slack']);
      expect(listed[0]?.path).toBe('/teams/any/path?sig=1');
      const onlySlack = (await (await fetch(`${sink.url}/received?channel=slack`)).json()) as unknown[];
      expect(onlySlack).toHaveLength(1);

      const lines = (await readFile(jsonlPath, 'utf8')).trim().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as { channel: string }).channel)).toEqual([
        'teams',
        'slack',
      ]);

      expect((await fetch(`${sink.url}/received`, { method: 'DELETE' })).status).toBe(204);
      expect(sink.received).toHaveLength(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('verifies Standard Webhooks signatures with the stock library when given the secret', async () => {
    const secret = newWebhookSecret();
    const sink = await open({ secret });
    const now = Date.now() / 1000;
    const good = webhookRequest(invitationNotice(), secret, now);
    expect((await post(sink.webhookUrl, good.body, good.headers)).status).toBe(200);
    expect(sink.received[0]?.headers).toMatchObject({
      'webhook-id': 'inv-1',
      'webhook-timestamp': String(Math.floor(now)),
    });
    expect((await post(sink.webhookUrl, good.body)).status).toBe(401);
    expect((await post(sink.webhookUrl, good.body.replace('inv-1', 'inv-2'), good.headers)).status).toBe(401);
    const old = webhookRequest(invitationNotice(), secret, now - 3600);
    expect((await post(sink.webhookUrl, old.body, old.headers)).status).toBe(401);
    const other = webhookRequest(invitationNotice(), newWebhookSecret(), now);
    expect((await post(sink.webhookUrl, other.body, other.headers)).status).toBe(401);
    expect(sink.received).toHaveLength(1);
    expect(sink.rejected.map((rejection) => rejection.reason)).toEqual([
      'signature: Missing required headers',
      'signature: No matching signature found',
      'signature: Message timestamp too old',
      'signature: No matching signature found',
    ]);
  });

  it('shows what it received on its page, Teams cards through the Adaptive Cards renderer', async () => {
    const sink = await open();
    await post(sink.teamsUrl, JSON.stringify(renderTeams(invitationNotice())));
    await post(sink.slackUrl, JSON.stringify(renderSlack(invitationNotice())));
    const page = await fetch(`${sink.url}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script src="/assets/adaptivecards.min.js">');
    expect(html).toContain('class="teams-card" data-card="');
    expect(html).toContain('Instant message: Alice Smith');
    const script = await fetch(`${sink.url}/assets/adaptivecards.min.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('AdaptiveCard');
  });

  it('refuses payloads the real services would refuse', async () => {
    const sink = await open();
    expect((await post(sink.teamsUrl, 'not json')).status).toBe(400);
    expect((await post(sink.teamsUrl, '{"type":"AdaptiveCard"}')).status).toBe(400);
    expect((await post(sink.slackUrl, '{}')).status).toBe(400);
    expect((await fetch(sink.teamsUrl)).status).toBe(405);
    expect((await post(`${sink.url}/other`, '{}')).status).toBe(404);
    expect(sink.received).toHaveLength(0);
  });

  it('fails on command: n times, down until up', async () => {
    const sink = await open();
    sink.fail(2, 500);
    expect((await post(sink.slackUrl, '{"text":"1"}')).status).toBe(500);
    expect((await post(sink.slackUrl, '{"text":"2"}')).status).toBe(500);
    expect((await post(sink.slackUrl, '{"text":"3"}')).status).toBe(200);
    sink.down(503);
    expect((await post(sink.slackUrl, '{"text":"4"}')).status).toBe(503);
    sink.down();
    await expect(post(sink.slackUrl, '{"text":"5"}')).rejects.toThrow();
    sink.up();
    expect((await post(sink.slackUrl, '{"text":"6"}')).status).toBe(200);
    expect(sink.received.map((message) => (message.body as { text: string }).text)).toEqual(['3', '6']);
  });
});
