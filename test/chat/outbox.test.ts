import { createHash, randomBytes } from 'node:crypto';
import { RestError, TableClient } from '@azure/data-tables';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ChatSinkServer, startChatSink } from '../../dev/chat-sink/index.js';
import {
  type ChatSink,
  type DeliveryResult,
  Outbox,
  type OutboxOptions,
  outboxRowKey,
  slackSink,
  teamsSink,
} from '../../shared/chat/index.js';
import type { Notice } from '../../shared/chat/notice.js';
import type { GatekeeperDeps } from '../../shared/gatekeeper/gatekeeper.js';
import { invitationNotice } from './notices.js';

/** One table per test in the run's Azurite (test/global-setup.ts), reached over real HTTP. */
function tableClient(): TableClient {
  return TableClient.fromConnectionString(
    inject('azuriteConnectionString'),
    `outbox${randomBytes(6).toString('hex')}`,
    {
      allowInsecureConnection: true,
    },
  );
}

/** Deterministic: no jitter, a short base so synthetic clocks pass it easily. */
const OPTIONS: OutboxOptions = { random: () => 0, backoff: { baseMs: 1000, maxMs: 60_000 } };
const T0 = new Date('2025-01-02T03:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;

/** Footers show `Ref <first 10 hex of sha256(id)>` (older renderers: `Notice <id>`): map back to the id. */
const idOfRef = new Map<string, string>();

function notice(id: string): Notice {
  idOfRef.set(createHash('sha256').update(id).digest('hex').slice(0, 10), id);
  return invitationNotice({ id });
}

/** Two servers, so one channel can be down while the other is up. */
let teamsServer: ChatSinkServer;
let slackServer: ChatSinkServer;
let sinks: ChatSink[];

beforeAll(async () => {
  [teamsServer, slackServer] = await Promise.all([startChatSink(), startChatSink()]);
  sinks = [teamsSink(`${teamsServer.teamsUrl}/secret`), slackSink(`${slackServer.slackUrl}/secret`)];
});
afterAll(async () => {
  await Promise.all([teamsServer.close(), slackServer.close()]);
});
afterEach(() => {
  for (const server of [teamsServer, slackServer]) {
    server.up();
    server.clear();
  }
});

/** Notice ids each chat server received, in order. */
function receivedIds(server: ChatSinkServer): string[] {
  return server.received.map((message) => {
    if (message.channel === 'teams') {
      const card = message.body as { attachments: Array<{ content: { body: Array<{ text?: string }> } }> };
      const footer = card.attachments[0]?.content.body.at(-1)?.text ?? '';
      return idOf(footer);
    }
    const slack = message.body as { blocks: Array<{ type: string; elements?: Array<{ text: string }> }> };
    const footer = slack.blocks.at(-1)?.elements?.[0]?.text ?? '';
    return idOf(footer);
  });
}

function idOf(footer: string): string {
  const token = /^(?:Notice|Ref) (\S+)/.exec(footer)?.[1] ?? '?';
  return idOfRef.get(token) ?? token;
}

describe('Outbox over Azurite', () => {
  it("is the gatekeeper's notice queue: a notice enqueued again (a retried conclusion) is posted once", async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    const queue: GatekeeperDeps['outbox'] = outbox;
    await queue.enqueue(notice('port'));
    await queue.enqueue(notice('port'));
    // The port's enqueue stamps the wall clock; so does a drain without `now`.
    await expect(outbox.drain({ sinks })).resolves.toMatchObject({ delivered: 2, pending: 0 });
    expect(receivedIds(teamsServer)).toEqual(['port']);
    expect(receivedIds(slackServer)).toEqual(['port']);
  });

  it('delivers each notice once to each of two sinks, and then keeps a tombstone', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await expect(outbox.add(notice('n1'), T0)).resolves.toBe('enqueued');
    await expect(outbox.add(notice('n2'), at(1))).resolves.toBe('enqueued');

    await expect(outbox.drain({ sinks, now: at(MINUTE) })).resolves.toEqual({
      delivered: 4,
      retried: 0,
      failedPermanently: 0,
      pending: 0,
      skipped: 0,
    });
    expect(receivedIds(teamsServer)).toEqual(['n1', 'n2']);
    expect(receivedIds(slackServer)).toEqual(['n1', 'n2']);

    await expect(outbox.drain({ sinks, now: at(2 * MINUTE) })).resolves.toMatchObject({
      delivered: 0,
      pending: 0,
    });
    const item = await outbox.get('n1');
    expect(item?.state).toBe('done');
    expect(item?.sinks.teams).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(item?.sinks.slack).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(teamsServer.received).toHaveLength(2);
  });

  it('treats a second enqueue of the same id as a no-op, before and after delivery', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await expect(outbox.add(notice('same'), T0)).resolves.toBe('enqueued');
    await expect(outbox.add(notice('same'), T0)).resolves.toBe('duplicate');
    await outbox.drain({ sinks, now: at(1) });
    await expect(outbox.add(notice('same'), at(2))).resolves.toBe('duplicate');
    await expect(outbox.drain({ sinks, now: at(3) })).resolves.toMatchObject({ delivered: 0, pending: 0 });
    expect(receivedIds(teamsServer)).toEqual(['same']);
    expect(receivedIds(slackServer)).toEqual(['same']);
  });

  it('survives a sink down for three drains: every notice reaches every sink exactly once', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    for (const id of ['a', 'b', 'c']) await outbox.enqueue(notice(id), T0);
    slackServer.down();

    const first = await outbox.drain({ sinks, now: at(0) });
    expect(first).toEqual({ delivered: 3, retried: 3, failedPermanently: 0, pending: 3, skipped: 0 });
    // Before the backoff ends nothing is tried again.
    await expect(outbox.drain({ sinks, now: at(100) })).resolves.toMatchObject({
      delivered: 0,
      retried: 0,
      pending: 3,
    });
    await expect(outbox.drain({ sinks, now: at(10 * MINUTE) })).resolves.toMatchObject({
      delivered: 0,
      retried: 3,
    });
    await expect(outbox.drain({ sinks, now: at(20 * MINUTE) })).resolves.toMatchObject({
      delivered: 0,
      retried: 3,
    });
    expect((await outbox.get('a'))?.sinks.slack).toMatchObject({
      state: 'pending',
      attempts: 3,
      lastError: expect.stringMatching(/^Slack webhook http:\/\/127\.0\.0\.1:\d+ unreachable/),
    });
    expect(JSON.stringify((await outbox.get('a'))?.sinks)).not.toContain('/secret');

    slackServer.up();
    await expect(outbox.drain({ sinks, now: at(30 * MINUTE) })).resolves.toEqual({
      delivered: 3,
      retried: 0,
      failedPermanently: 0,
      pending: 0,
      skipped: 0,
    });
    await expect(outbox.drain({ sinks, now: at(40 * MINUTE) })).resolves.toMatchObject({
      delivered: 0,
      pending: 0,
    });
    expect(receivedIds(teamsServer).sort()).toEqual(['a', 'b', 'c']);
    expect(receivedIds(slackServer).sort()).toEqual(['a', 'b', 'c']);
  });

  it('backs off exponentially and honours Retry-After', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await outbox.enqueue(notice('r'), T0);
    slackServer.fail(1, 503);
    await outbox.drain({ sinks, now: T0 });
    // random() = 0: half of base * 2^(attempts-1).
    expect((await outbox.get('r'))?.sinks.slack?.nextAttemptAt).toBe(at(500).toISOString());
    expect((await outbox.get('r'))?.nextAttemptAt).toEqual(at(500));
    slackServer.fail(1, 503);
    await outbox.drain({ sinks, now: at(500) });
    expect((await outbox.get('r'))?.sinks.slack?.nextAttemptAt).toBe(at(500 + 1000).toISOString());
    slackServer.fail(1, 429, { retryAfter: '120' });
    await outbox.drain({ sinks, now: at(1500) });
    expect((await outbox.get('r'))?.sinks.slack?.nextAttemptAt).toBe(at(1500 + 120_000).toISOString());
    await outbox.drain({ sinks, now: at(1500 + 120_000) });
    expect((await outbox.get('r'))?.state).toBe('done');
    expect(receivedIds(teamsServer)).toEqual(['r']);
    expect(receivedIds(slackServer)).toEqual(['r']);
  });

  it('stops retrying a sink that failed permanently, and finishes the item', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await outbox.enqueue(notice('p'), T0);
    slackServer.fail(1, 404);
    await expect(outbox.drain({ sinks, now: T0 })).resolves.toMatchObject({
      delivered: 1,
      failedPermanently: 1,
      pending: 0,
    });
    const item = await outbox.get('p');
    expect(item?.state).toBe('done');
    expect(item?.sinks.slack).toMatchObject({
      state: 'failed',
      lastError: expect.stringContaining('answered 404'),
    });
    await expect(outbox.drain({ sinks, now: at(MINUTE) })).resolves.toMatchObject({
      delivered: 0,
      failedPermanently: 0,
    });
  });

  it('lets two concurrent drainers deliver each notice once', async () => {
    const client = tableClient();
    const a = new Outbox(client, { ...OPTIONS, owner: 'a' });
    const b = new Outbox(
      TableClient.fromConnectionString(inject('azuriteConnectionString'), client.tableName, {
        allowInsecureConnection: true,
      }),
      { ...OPTIONS, owner: 'b' },
    );
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    for (const id of ids) await a.enqueue(notice(id), T0);

    const [ra, rb] = await Promise.all([a.drain({ sinks, now: at(1) }), b.drain({ sinks, now: at(1) })]);
    expect(ra.delivered + rb.delivered).toBe(ids.length * 2);
    expect(receivedIds(teamsServer).sort()).toEqual(ids);
    expect(receivedIds(slackServer).sort()).toEqual(ids);
  });

  it('skips an item whose claim loses the ETag race, and hides claimed items from other drainers', async () => {
    const client = tableClient();
    const a = new Outbox(client, { ...OPTIONS, owner: 'a' });
    const b = new Outbox(client, { ...OPTIONS, owner: 'b' });
    const ids = ['g0', 'g1', 'g2'];
    for (const [i, id] of ids.entries()) await a.enqueue(notice(id), at(i));

    // Drainer A pauses in its first post until B has drained everything it could see.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let paused = false;
    let reachedGate: () => void = () => {};
    const atGate = new Promise<void>((resolve) => {
      reachedGate = resolve;
    });
    const [firstSink, ...otherSinks] = sinks;
    if (!firstSink) throw new Error('no sinks');
    const gated: ChatSink = {
      name: firstSink.name,
      async deliver(n): Promise<DeliveryResult> {
        if (!paused) {
          paused = true;
          reachedGate();
          await gate;
        }
        return firstSink.deliver(n);
      },
    };
    const drainA = a.drain({ sinks: [gated, ...otherSinks], now: at(10) });
    await atGate;
    // A holds g0 (claimed, lease pushed nextAttemptAt out); B sees only g1 and g2.
    const rb = await b.drain({ sinks, now: at(10) });
    expect(rb).toMatchObject({ delivered: 4, skipped: 0, pending: 1 });
    release();
    const ra = await drainA;
    // A's stale ETags for g1 and g2 lose with 412: skipped, not delivered again.
    expect(ra).toMatchObject({ delivered: 2, skipped: 2, pending: 0 });
    expect(receivedIds(teamsServer).sort()).toEqual(ids);
    expect(receivedIds(slackServer).sort()).toEqual(ids);
  });

  it('delivers to a sink added later only the notices still pending', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    const [teams, slack] = sinks;
    if (!teams || !slack) throw new Error('no sinks');
    await outbox.enqueue(notice('early'), T0);
    await outbox.drain({ sinks: [teams], now: T0 });
    await outbox.enqueue(notice('late'), at(1));
    slackServer.down();
    await outbox.drain({ sinks: [teams, slack], now: at(2) });
    slackServer.up();
    await outbox.drain({ sinks: [teams, slack], now: at(MINUTE) });
    expect(receivedIds(teamsServer)).toEqual(['early', 'late']);
    expect(receivedIds(slackServer)).toEqual(['late']);
  });

  it('does nothing without sinks, rather than finishing items no one received', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await outbox.enqueue(notice('wait'), T0);
    await expect(outbox.drain({ sinks: [], now: T0 })).resolves.toMatchObject({ delivered: 0, pending: 1 });
    await expect(outbox.drain({ sinks, now: T0 })).resolves.toMatchObject({ delivered: 2, pending: 0 });
  });

  it('stores ids with reserved characters under a hashed RowKey, and oversized notices compactly', async () => {
    const client = tableClient();
    const outbox = new Outbox(client, OPTIONS);
    const id = 'evt/1\\2#3?4 ünïcode';
    const big = invitationNotice({
      id,
      invitation: { modality: 'messaging', firstMessage: 'x'.repeat(200_000) },
      sender: { name: 'n', links: Array.from({ length: 500 }, (_, i) => `link${i}`) },
    });
    await expect(outbox.add(big, T0)).resolves.toBe('enqueued');
    const entity = await client.getEntity<{ noticeId: string; notice: string }>('notice', outboxRowKey(id));
    expect(entity.rowKey).toMatch(/^[0-9a-f]{64}$/);
    expect(entity.noticeId).toBe(id);
    expect(entity.notice.length).toBeLessThan(30_000);
    await expect(outbox.drain({ sinks, now: T0 })).resolves.toMatchObject({ delivered: 2 });
    expect(teamsServer.received).toHaveLength(1);
  });

  it('purges tombstones older than a cutoff', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await outbox.enqueue(notice('old'), T0);
    await outbox.enqueue(notice('pending'), at(1));
    await outbox.drain({ sinks, now: T0, maxItems: 1 });
    await expect(outbox.purge(at(1))).resolves.toBe(1);
    expect(await outbox.get('old')).toBeUndefined();
    expect((await outbox.get('pending'))?.state).toBe('pending');
  });

  it('stops between items when the signal aborts', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await outbox.enqueue(notice('s1'), T0);
    const controller = new AbortController();
    controller.abort();
    await expect(outbox.drain({ sinks, now: T0, signal: controller.signal })).resolves.toMatchObject({
      delivered: 0,
      pending: 1,
    });
  });

  // Seen in the gatekeeper suite: a watch run ending mid-post cancelled it after the receiver had it, then
  // the notice was sent again (two cards), or backed off 30 s past the next run.
  it('lets a post in flight finish when the drain is told to stop, and records it: posted once', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    await outbox.enqueue(notice('in-flight'), T0);
    const controller = new AbortController();
    let posts = 0;
    // The drain is told to stop while the receiver has the post: the post still ends, and is recorded.
    const receiver: ChatSink = {
      name: 'teams',
      async deliver() {
        posts += 1;
        controller.abort();
        await new Promise((resolve) => setImmediate(resolve));
        return { outcome: 'delivered', httpStatus: 200 };
      },
    };
    await expect(
      outbox.drain({ sinks: [receiver], now: T0, signal: controller.signal }),
    ).resolves.toMatchObject({ delivered: 1, pending: 0 });
    await outbox.drain({ sinks: [receiver], now: at(60 * MINUTE) });
    expect(posts).toBe(1);
  });

  // The 10-minute soak at a8f659e (15 s lease, three sinks): a webhook notice posted twice 16 s apart with no
  // kill. Slow posts outlasted the lease taken at the claim, a second drainer took the item over and posted
  // the sink still in flight again.
  it('a drain with slow sinks renews its lease with every post: no second drainer takes the item over', async () => {
    const client = tableClient();
    let clock = 0;
    const options = { ...OPTIONS, leaseMs: 15_000, postTimeoutMs: 10_000, clock: () => clock };
    const a = new Outbox(client, options);
    const b = new Outbox(client, options);
    await a.enqueue(notice('slow'), T0);
    const posts: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reachedThird!: () => void;
    const third = new Promise<void>((resolve) => {
      reachedThird = resolve;
    });
    const slow = (name: string): ChatSink => ({
      name,
      async deliver() {
        posts.push(name);
        clock += 8_000;
        // The first post to c is held until B has drained; a second one (the duplicate) is not.
        if (name === 'c' && posts.filter((post) => post === 'c').length === 1) {
          reachedThird();
          await gate;
        }
        return { outcome: 'delivered', httpStatus: 200 };
      },
    });
    const three = [slow('a'), slow('b'), slow('c')];
    const drainA = a.drain({ sinks: three, now: T0 });
    await third;
    // 24 s after A claimed the item: its first lease (15 s) is long over, the one renewed after post b is not.
    const rb = await b.drain({ sinks: three, now: at(24_000) });
    release();
    await drainA;
    expect(rb).toMatchObject({ delivered: 0 });
    expect(posts).toEqual(['a', 'b', 'c']);
    expect((await a.get('slow'))?.state).toBe('done');
  });

  it('never starts a post its lease could not cover: the rest waits for the next drain', async () => {
    const client = tableClient();
    let clock = 0;
    const outbox = new Outbox(client, {
      ...OPTIONS,
      leaseMs: 15_000,
      postTimeoutMs: 10_000,
      clock: () => clock,
    });
    await outbox.enqueue(notice('stalled-write'), T0);
    const posts: string[] = [];
    const sink = (name: string): ChatSink => ({
      name,
      async deliver() {
        posts.push(name);
        return { outcome: 'delivered', httpStatus: 200 };
      },
    });
    // The record write after post a takes 6 s (slow storage): 9 s of the renewed lease remain, too few.
    const update = client.updateEntity.bind(client);
    client.updateEntity = (async (...args: Parameters<TableClient['updateEntity']>) => {
      const answer = await update(...args);
      if (posts.length === 1 && clock === 0) clock += 6_000;
      return answer;
    }) as TableClient['updateEntity'];
    await outbox.drain({ sinks: [sink('a'), sink('b')], now: T0 });
    expect(posts).toEqual(['a']);
    await outbox.drain({ sinks: [sink('a'), sink('b')], now: at(1_000) });
    expect(posts).toEqual(['a', 'b']);
  });

  it('records a delivery whose record a storage failure lost, instead of posting it again', async () => {
    const client = tableClient();
    const outbox = new Outbox(client, { ...OPTIONS, leaseMs: MINUTE });
    const [teams] = sinks;
    if (!teams) throw new Error('no sinks');
    await outbox.enqueue(notice('lost-record'), T0);
    const update = client.updateEntity.bind(client);
    let failed = false;
    client.updateEntity = (async (entity, mode, options) => {
      if (!failed && String((entity as { sinks?: string }).sinks ?? '').includes('delivered')) {
        failed = true;
        throw new RestError('storage is briefly unavailable', { statusCode: 503 });
      }
      return update(entity, mode, options);
    }) as typeof client.updateEntity;
    await expect(outbox.drain({ sinks: [teams], now: T0 })).rejects.toThrow('briefly unavailable');
    // After the lease, the next drain finds the item still pending for Teams.
    await expect(outbox.drain({ sinks: [teams], now: at(MINUTE + 1) })).resolves.toMatchObject({
      pending: 0,
    });
    expect(receivedIds(teamsServer)).toEqual(['lost-record']);
    expect((await outbox.get('lost-record'))?.sinks.teams?.state).toBe('delivered');
  });

  it('drains page after page until nothing due is left, and not at all once the caller aborts', async () => {
    const outbox = new Outbox(tableClient(), OPTIONS);
    const [teams] = sinks;
    if (!teams) throw new Error('no sinks');
    const ids = Array.from({ length: 51 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) await outbox.enqueue(notice(id), at(i));
    await expect(outbox.drainAll({ sinks: [teams], signal: AbortSignal.abort() })).resolves.toMatchObject({
      delivered: 0,
      pending: 51,
    });
    await expect(outbox.drainAll({ sinks: [teams] })).resolves.toEqual({
      delivered: 51,
      retried: 0,
      failedPermanently: 0,
      pending: 0,
      skipped: 0,
    });
    expect(receivedIds(teamsServer)).toEqual(ids);
  });
});
