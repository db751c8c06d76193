/**
 * Plays the plan against the world: guests knock (some leave by themselves), people send IMs, faults are
 * injected into the simulator, the storage proxies and the chat sink, and the worker is killed on cue. It
 * records what really happened, with wall-clock times, in a ledger the invariant checker reads.
 */
import type { MeetingParticipantHandle, RecordedAction } from '../ucwa-sim/index.js';
import { FaultInjector } from './faults.js';
import type { Infra } from './infra.js';
import { type FaultItem, type ImItem, type KnockItem, type Plan, tamperPatch } from './plan.js';
import type { Supervisor } from './supervisor.js';

export interface GuestRecord {
  item: KnockItem;
  meetingUri: string;
  knockAt: number;
  /** Set when the guest left by itself while still waiting (not when it was removed first). */
  leftAt?: number;
  handle: MeetingParticipantHandle;
}

export interface ImRecord {
  item: ImItem;
  at: number;
  delivered: boolean;
  /** Path of the invitation on the pool origin ('' when not delivered). */
  invitationPath: string;
}

/** A fault as injected; windows have an end, one-shot faults count their hits once the phase is over. */
export interface FaultRecord {
  kind: FaultItem['kind'];
  at: number;
  end?: number;
  detail: string;
  hits?: () => number;
  /** ucwa-expire: the application it took away. */
  applicationId?: string;
}

export interface KillRecord {
  trigger: string;
  at: number;
  /** Incarnation killed, or why nothing was killed. */
  incarnation?: number;
  skipped?: string;
}

export interface Ledger {
  startedAt: number;
  endedAt: number;
  guests: Map<string, GuestRecord>;
  ims: Map<string, ImRecord>;
  faults: FaultRecord[];
  kills: KillRecord[];
}

/** Kills closer together than this are skipped: each one should land in a worker that got going again. */
const MIN_KILL_SPACING_MS = 5_000;

export async function drive(
  plan: Plan,
  infra: Infra,
  workers: Supervisor,
  signal: AbortSignal,
): Promise<Ledger> {
  const { sim, chat } = infra;
  const startedAt = Date.now();
  const ledger: Ledger = { startedAt, endedAt: 0, guests: new Map(), ims: new Map(), faults: [], kills: [] };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!signal.aborted) fn();
    }, ms);
    timers.add(timer);
  };
  let restarts = 0;
  let lastKill = 0;
  const kill = (trigger: string) => {
    const at = Date.now();
    if (!workers.running) return ledger.kills.push({ trigger, at, skipped: 'worker down' });
    if (at - lastKill < MIN_KILL_SPACING_MS) return ledger.kills.push({ trigger, at, skipped: 'too soon' });
    lastKill = at;
    const killed = workers.kill(
      trigger,
      plan.restartDelaysMs[restarts++ % plan.restartDelaysMs.length] ?? 1_000,
    );
    return ledger.kills.push({ trigger, at, ...(killed && { incarnation: killed.n }) });
  };

  // Kills armed to follow the next removal or the next chat message.
  const armed: { trigger: 'after-eject' | 'after-chat'; until: number; delayMs: number }[] = [];
  const fire = (trigger: 'after-eject' | 'after-chat') => {
    const index = armed.findIndex((a) => a.trigger === trigger && a.until >= Date.now());
    const [hit] = index >= 0 ? armed.splice(index, 1) : [];
    if (hit) later(hit.delayMs, () => kill(trigger));
  };
  const onAction = (action: RecordedAction) => {
    if (action.kind === 'eject' || action.kind === 'reject') fire('after-eject');
  };
  sim.on('action', onAction);
  let chatSeen = chat.received.length;
  const chatWatch = setInterval(() => {
    if (chat.received.length > chatSeen) fire('after-chat');
    chatSeen = chat.received.length;
  }, 5);

  const injector = new FaultInjector(infra, later, kill, (trigger, until, delayMs) =>
    armed.push({ trigger, until, delayMs }),
  );

  const knock = (item: KnockItem) => {
    const meetingUri = plan.meetings[item.meeting] ?? '';
    const meeting = sim.scenario.getMeeting(meetingUri);
    if (!meeting) throw new Error(`soak: meeting ${meetingUri} is not defined`);
    const patch = item.tamper ? tamperPatch(item.tamper, item.token) : undefined;
    const handle = meeting.knock(item.guest, {
      embedParticipant: item.embed,
      ...(patch && { embeddedPatch: patch }),
    });
    const record: GuestRecord = { item, meetingUri, knockAt: Date.now(), handle };
    ledger.guests.set(item.token, record);
    if (item.leaveAfterMs !== undefined) {
      later(item.leaveAfterMs, () => {
        const waiting = meeting.participants().some((p) => p.key === handle.key && p.where === 'lobby');
        if (waiting && meeting.leave(handle)) record.leftAt = Date.now();
      });
    }
    if (item.killAfterMs !== undefined) later(item.killAfterMs, () => kill('after-knock'));
  };

  const message = (item: ImItem) => {
    const patch = item.tamper ? tamperPatch(item.tamper, item.token) : undefined;
    const handle = sim.scenario.incomingIm(item.from, item.message, {
      subject: `Soak ${item.token}`,
      ...(patch && { embeddedFromPatch: patch }),
    });
    ledger.ims.set(item.token, {
      item,
      at: Date.now(),
      delivered: handle.delivered,
      invitationPath: handle.invitationHref,
    });
  };

  const timeline = [...plan.traffic, ...plan.faults].sort((a, b) => a.at - b.at);
  try {
    for (const item of timeline) {
      const wait = startedAt + item.at - Date.now();
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) break;
      if (item.kind === 'knock') knock(item);
      else if (item.kind === 'im') message(item);
      else ledger.faults.push(injector.inject(item));
    }
    const rest = startedAt + plan.durationMs - Date.now();
    if (rest > 0) await sleep(rest, signal);
  } finally {
    // The quiet period: every fault off, nothing armed; a worker runs.
    ledger.endedAt = Date.now();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    clearInterval(chatWatch);
    sim.off('action', onAction as (x: never) => void);
    sim.faults.clear();
    sim.setLatency(0);
    infra.tableProxy.clear();
    infra.blobProxy.clear();
    chat.up();
    for (const fault of ledger.faults)
      if (fault.end && fault.end > ledger.endedAt) fault.end = ledger.endedAt;
    workers.ensureRunning();
  }
  return ledger;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
