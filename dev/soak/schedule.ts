/**
 * The plan from the seed: traffic at a steady rate (one event every 0.5–2 s), faults as Poisson processes
 * with fixed rates, a guaranteed application expiry, storage outage, chat stall and chat reset.
 */
import type { ParticipantSeed } from '../ucwa-sim/index.js';
import {
  type FaultItem,
  type ImItem,
  type KnockItem,
  type Mode,
  type Plan,
  UCWA_PATHS,
  type UcwaPath,
} from './plan.js';
import { Rng } from './prng.js';

/** Events per minute of each fault kind (kills: per trigger). */
const RATES = {
  ucwaStatus: 6,
  ucwaDrop: 3,
  ucwaLatency: 2,
  storageOutage: 0.6,
  storageSlow: 3,
  chatFail: 2,
  killTimer: 1,
  killAfterEject: 3,
  killAfterChat: 2.5,
};

/** Times of a Poisson process with `perMinute` events in [from, to). */
function poisson(rng: Rng, perMinute: number, from: number, to: number): number[] {
  const times: number[] = [];
  let at = from;
  for (let i = 0; i < 1_000; i++) {
    at += (-Math.log(1 - rng.next()) / perMinute) * 60_000;
    if (at >= to) break;
    times.push(Math.round(at));
  }
  return times;
}

export function buildPlan(seed: number, durationMs: number, mode: Mode): Plan {
  const root = () => new Rng(seed);
  const restarts = root().fork('restarts');
  const meetings = [0, 1].map(
    (i) => `sip:organizer${i}@contoso.com;gruu;opaque=app:conf:focus:id:SOAK${seed % 100_000}M${i}`,
  );
  return {
    seed,
    durationMs,
    mode,
    meetings,
    traffic: traffic(root().fork('traffic'), durationMs),
    faults: faults(root().fork('faults'), durationMs),
    restartDelaysMs: Array.from({ length: 200 }, () => restarts.int(300, 1_500)),
  };
}

export function traffic(rng: Rng, durationMs: number): (KnockItem | ImItem)[] {
  const items: (KnockItem | ImItem)[] = [];
  let at = 500;
  for (let n = 1; at < durationMs - 2_000 && n < 2_000; n++) {
    const kind = rng.weighted({ im: 50, anon: 33, named: 17 });
    const token = `${kind === 'im' ? 'M' : 'K'}${String(n).padStart(4, '0')}`;
    const lower = token.toLowerCase();
    if (kind === 'im') {
      const who = rng.weighted({ colleague: 4, partner: 3, visitor: 3 });
      const from: ParticipantSeed =
        who === 'colleague'
          ? { name: `${token} Colleague`, uri: `sip:${lower}@contoso.com` }
          : who === 'partner'
            ? { name: `${token} Partner`, uri: `sip:${lower}@fabrikam.com` }
            : { name: `${token} Visitor`, uri: `sip:${lower}@outlook.com`, anonymous: true };
      const tamper = rng.chance(0.15)
        ? rng.pick(['from-anonymous-as-number', 'from-unknown-enums', 'from-huge-name'] as const)
        : undefined;
      items.push({ kind: 'im', at, token, from, message: `soak ${token}: hello`, ...(tamper && { tamper }) });
    } else {
      const anonymous = kind === 'anon';
      const guest: ParticipantSeed = anonymous
        ? rng.chance(0.7)
          ? { name: `${token} Guest`, anonymous: true, sourceNetwork: 'PublicCloud' }
          : { name: `${token} Dial-in caller`, anonymous: true, sourceNetwork: 'Unknown' }
        : { name: `${token} Attendee`, uri: `sip:${lower}@${rng.pick(['contoso.com', 'fabrikam.com'])}` };
      const embed = rng.chance(0.7);
      const tamper =
        embed && rng.chance(0.2)
          ? rng.pick([
              'anonymous-as-string',
              'anonymous-missing',
              'unknown-enums',
              'huge-name',
              'no-capabilities',
            ] as const)
          : undefined;
      const leave = rng.chance(0.06) ? rng.int(300, 3_000) : undefined;
      const kill = rng.chance(0.05) ? rng.int(0, 400) : undefined;
      items.push({
        kind: 'knock',
        at,
        token,
        meeting: rng.int(0, 1),
        anonymous,
        guest,
        embed,
        ...(tamper && { tamper }),
        ...(leave !== undefined && { leaveAfterMs: leave }),
        ...(kill !== undefined && { killAfterMs: kill }),
      });
    }
    at += rng.int(500, 2_000);
  }
  return items;
}

export function faults(rng: Rng, durationMs: number): FaultItem[] {
  const end = durationMs - 3_000;
  const list: FaultItem[] = [];
  const paths = Object.keys(UCWA_PATHS) as UcwaPath[];
  for (const at of poisson(rng.fork('status'), RATES.ucwaStatus, 2_000, end)) {
    const status = rng.pick([429, 429, 500, 503]);
    list.push({
      kind: 'ucwa-status',
      at,
      status,
      path: rng.pick(paths),
      times: rng.int(1, 3),
      ...(status !== 500 && { retryAfter: String(rng.int(1, 3)) }),
    });
  }
  for (const at of poisson(rng.fork('drop'), RATES.ucwaDrop, 2_000, end)) {
    const path = rng.pick(paths);
    const lostAnswer = (path === 'removal' || path === 'events') && rng.chance(0.5);
    list.push({ kind: 'ucwa-drop', at, path, times: rng.int(1, 2), phase: lostAnswer ? 'after' : 'before' });
  }
  for (const at of poisson(rng.fork('latency'), RATES.ucwaLatency, 2_000, end)) {
    list.push({
      kind: 'ucwa-latency',
      at,
      durationMs: rng.int(2_000, 6_000),
      latencyMs: rng.int(300, 1_500),
    });
  }
  list.push({
    kind: 'ucwa-expire',
    at: Math.round(rng.between(0.25, 0.75) * durationMs),
    how: rng.pick(['404', '410'] as const),
  });
  // At least one outage of every write, longer than the SDK's own retries; more at random.
  const outages = [Math.round(rng.between(0.2, 0.6) * durationMs)];
  outages.push(...poisson(rng.fork('outage'), RATES.storageOutage, 3_000, end));
  for (const at of outages) {
    const service = rng.weighted({ both: 3, table: 1, blob: 1 });
    list.push({ kind: 'storage-outage', at, durationMs: rng.int(8_000, 12_000), service });
  }
  for (const at of poisson(rng.fork('slow'), RATES.storageSlow, 2_000, end)) {
    const service = rng.weighted({ table: 3, blob: 1 });
    list.push({ kind: 'storage-slow', at, service, latencyMs: rng.int(300, 2_500), times: rng.int(3, 15) });
  }
  for (const at of poisson(rng.fork('chat-fail'), RATES.chatFail, 2_000, end)) {
    const status = rng.pick([429, 500, 502, 503]);
    list.push({
      kind: 'chat-fail',
      at,
      count: rng.int(2, 8),
      status,
      ...(status === 429 && { retryAfter: '1' }),
    });
  }
  // One stall and one reset window, in random order, never overlapping: one chat outage at a time.
  const windows = rng.chance(0.5)
    ? (['chat-stall', 'chat-down'] as const)
    : (['chat-down', 'chat-stall'] as const);
  let chatFree = 3_000;
  for (const [index, kind] of windows.entries()) {
    // A stall must outlast a P-GET gap worth reporting (20 s); resets fail fast, a short one is enough.
    const length = kind === 'chat-stall' ? rng.int(20_000, 30_000) : rng.int(5_000, 12_000);
    const latest = index === 0 ? Math.max(chatFree, durationMs * 0.3) : end - length;
    const at = Math.round(rng.between(chatFree, Math.max(chatFree + 1, latest)));
    list.push({ kind, at, durationMs: length });
    chatFree = at + length + 2_000;
  }
  const kills = rng.fork('kills');
  for (const [trigger, rate] of [
    ['timer', RATES.killTimer],
    ['after-eject', RATES.killAfterEject],
    ['after-chat', RATES.killAfterChat],
  ] as const) {
    for (const at of poisson(kills.fork(trigger), rate, 4_000, end)) {
      list.push({ kind: 'kill', at, trigger, delayMs: trigger === 'timer' ? 0 : kills.int(0, 40) });
    }
  }
  return list.sort((a, b) => a.at - b.at);
}
