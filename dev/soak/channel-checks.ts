/**
 * Invariants 3 and 4, about the event channel. Every event the simulator delivered (an answer it wrote to the
 * socket) that matters to the gatekeeper — an incoming invitation `started`, a participant `added` in a lobby —
 * must be accounted for: handled (an audit row for exactly that invitation or participant href), or rejected
 * because its embedded copy was made invalid on purpose; none handled twice. And the channel stays parked:
 * the time between one P-GET's answer and the next P-GET must stay under the limit while chat is down.
 */
import { type Evidence, invitationSubjects, removalsOf, type Violation } from './checks.js';
import { sec } from './evidence.js';
import { TAMPERS } from './plan.js';

export function checkEvents(e: Evidence, rejectedLogged: number) {
  const violations: Violation[] = [];
  const outstanding: string[] = [];
  const fail = (subject: string, message: string) =>
    violations.push({ invariant: 'events', subject, message });
  const seen = new Set<string>();
  const counts = {
    invitationEvents: 0,
    lobbyEvents: 0,
    handled: 0,
    handledUnderAnotherHref: 0,
    expectedRejections: 0,
    rejectedLogged,
    guestLeft: 0,
    excusedLost: 0,
    neverDelivered: 0,
    stuckBatches: 0,
  };
  const excusedInvitations = new Set(invitationSubjects(e).flatMap((s) => (s.excused ? [s.token] : [])));
  const handledGuests = new Set([
    ...e.audit.flatMap((r) => (r.token ? [r.token] : [])),
    ...removalsOf(e).flatMap((r) => (r.token ? [r.token] : [])),
  ]);
  for (const batch of e.batches) {
    for (const event of batch.events) {
      const id = `${batch.applicationId}|${event.href}|${event.type}|${event.in?.rel ?? ''}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (
        event.senderRel === 'communication' &&
        event.type === 'started' &&
        event.rel === 'messagingInvitation'
      ) {
        const im = [...e.ledger.ims.values()].find(
          (i) => i.delivered && event.href.endsWith(i.invitationPath),
        );
        if (!im) continue;
        counts.invitationEvents++;
        const rows = e.audit.filter(
          (r) => r.key.startsWith('invitation|') && r.key.includes(`${im.invitationPath}|`),
        );
        if (rows.length > 0) counts.handled++;
        else if (im.item.tamper && TAMPERS[im.item.tamper].invalid) counts.expectedRejections++;
        else if (excusedInvitations.has(im.item.token)) counts.excusedLost++;
        else {
          fail(`${im.item.token} (invitation event)`, 'delivered, neither handled nor rejected');
          outstanding.push(`${im.item.token}: invitation event`);
        }
      } else if (event.rel === 'participant' && event.in?.rel === 'lobby' && event.type === 'added') {
        const token = /^([KM]\d{4})\b/.exec(event.title ?? '')?.[1];
        const guest = token ? e.ledger.guests.get(token) : undefined;
        if (!guest || !token) continue;
        counts.lobbyEvents++;
        const rows = e.audit.filter((r) => r.participant === event.href);
        const twice = new Map<string, number>();
        for (const row of rows.filter((r) => r.key.startsWith('lobby|')))
          twice.set(row.key, (twice.get(row.key) ?? 0) + 1);
        for (const [key, n] of twice)
          if (n > 1) fail(`${token} (lobby event)`, `handled ${n}× (${key.split('|').pop()})`);
        if (rows.length > 0) counts.handled++;
        else if (handledGuests.has(token)) counts.handledUnderAnotherHref++;
        else if (guest.leftAt !== undefined) counts.guestLeft++;
        else if (guest.item.tamper && TAMPERS[guest.item.tamper].invalid && guest.item.embed) {
          counts.expectedRejections++;
        } else {
          fail(`${token} (lobby event)`, 'delivered, neither handled nor rejected');
          outstanding.push(`${token}: lobby event`);
        }
      }
    }
  }
  // A batch of a live application that was never acknowledged: the watch never got past it.
  const expired = new Set(e.ledger.faults.flatMap((f) => (f.applicationId ? [f.applicationId] : [])));
  for (const batch of e.batches) {
    if (batch.acknowledged || expired.has(batch.applicationId) || e.now - batch.at < 10_000) continue;
    counts.stuckBatches++;
    fail(
      `batch ${batch.ack} of application ${batch.applicationId}`,
      `${batch.events.length} events, never acknowledged`,
    );
    outstanding.push(`batch ${batch.ack}: acknowledgement`);
  }
  // Queued on the server and never delivered (no new traffic in the quiet period): the channel was not read.
  for (const event of e.pending) {
    const im =
      event.senderRel === 'communication' && event.type === 'started' && event.rel === 'messagingInvitation'
        ? [...e.ledger.ims.values()].find((i) => i.delivered && event.href.endsWith(i.invitationPath))
        : undefined;
    const guest =
      event.rel === 'participant' && event.in === 'lobby' && event.type === 'added'
        ? [...e.ledger.guests.values()].find(
            (g) => g.handle.participantHref && event.href.endsWith(g.handle.participantHref),
          )
        : undefined;
    const token = im?.item.token ?? guest?.item.token;
    if (!token) continue;
    counts.neverDelivered++;
    fail(
      `${token} (${im ? 'invitation' : 'lobby'} event)`,
      'queued on the server, never fetched: the channel stopped',
    );
  }
  return { violations, outstanding, metrics: counts };
}

export function checkGaps(e: Evidence) {
  const violations: Violation[] = [];
  const pgets = [...e.pgets].filter((r) => r.at >= e.ledger.startedAt).sort((a, b) => a.at - b.at);
  const chatDown = e.ledger.faults.filter((f) => f.kind === 'chat-stall' || f.kind === 'chat-down');
  // A worker that was killed or died: its parked P-GET ends then, and the next one waits for a new worker.
  const ends = e.incarnations.flatMap((i) => (i.endedAt && i.end?.by !== 'stop' ? [i.endedAt] : []));
  const metrics = {
    pgets: pgets.length,
    maxGap: 0,
    maxGapChatDown: 0,
    maxGapChatDownNoKill: 0,
    maxGapAfterKill: 0,
  };
  const longGaps: { from: number; ms: number; causes: string[] }[] = [];
  // Between one P-GET's answer and the next P-GET; the last one's answer to the end counts too (a dead channel).
  const intervals: [number, number][] = [];
  for (let i = 0; i < pgets.length; i++) {
    const current = pgets[i];
    const nextAt = pgets[i + 1]?.at ?? (current?.completedAt !== undefined ? e.now : undefined);
    if (current && nextAt !== undefined) intervals.push([current.completedAt ?? nextAt, nextAt]);
  }
  for (const [start, end] of intervals) {
    const gap = Math.max(0, end - start);
    const chat = chatDown.some((w) => w.at < end && (w.end ?? w.at) > start);
    const killed = ends.some((t) => t >= start - 2_000 && t <= end);
    metrics.maxGap = Math.max(metrics.maxGap, gap);
    if (chat) metrics.maxGapChatDown = Math.max(metrics.maxGapChatDown, gap);
    if (chat && !killed) metrics.maxGapChatDownNoKill = Math.max(metrics.maxGapChatDownNoKill, gap);
    if (killed) metrics.maxGapAfterKill = Math.max(metrics.maxGapAfterKill, gap);
    if (gap <= e.limits.maxGapMs) continue;
    const causes = [
      ...(killed ? ['kill'] : []),
      ...(chat ? ['chat down'] : []),
      ...e.ledger.faults
        .filter((f) => f.kind === 'storage-outage' && f.at < end && (f.end ?? f.at) > start)
        .map(() => 'storage outage'),
    ];
    longGaps.push({
      from: start,
      ms: gap,
      causes: causes.length > 0 ? [...new Set(causes)] : ['none injected'],
    });
    if (chat && !killed) {
      violations.push({
        invariant: 'pget-gap',
        subject: `P-GET gap at +${sec(start - e.ledger.startedAt)}`,
        message: `no P-GET for ${sec(gap)} while chat was down`,
      });
    }
  }
  return { violations, metrics, longGaps };
}
