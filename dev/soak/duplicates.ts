/**
 * Notices that reached a sink more than once. The outbox writes each sink's result right after its post, so
 * a copy may repeat only when the process died in between: a duplicate is excused when a worker was killed
 * after the previous copy arrived and before any write of that notice's outbox row reached storage (the
 * table proxy's log); any other duplicate is a violation.
 */
import { outboxRowKey } from '../../shared/chat/outbox.js';
import type { Evidence } from './checks.js';
import { type ChatMessage, sec } from './evidence.js';

/** Copies after the first, per sink and notice id: excused only when a kill fell between a copy and its record. */
export function duplicateNotices(e: Evidence, byKey: Map<string, { noticeId: string; token?: string }>) {
  const groups = new Map<string, ChatMessage[]>();
  for (const m of e.chat)
    groups.set(`${m.channel}|${m.noticeKey}`, [...(groups.get(`${m.channel}|${m.noticeKey}`) ?? []), m]);
  const kills = e.ledger.kills.filter((k) => k.incarnation !== undefined).map((k) => k.at);
  const unexcused: { subject: string; message: string }[] = [];
  let excused = 0;
  let total = 0;
  for (const copies of groups.values()) {
    if (copies.length < 2) continue;
    const first = copies[0] as ChatMessage;
    const notice = byKey.get(first.noticeKey);
    const rowKey = notice ? outboxRowKey(notice.noticeId) : undefined;
    const subject = `${first.token ?? '?'} (${first.kind} notice on ${first.channel})`;
    for (let i = 1; i < copies.length; i++) {
      total++;
      const before = copies[i - 1] as ChatMessage;
      const after = copies[i] as ChatMessage;
      const recorded = (until: number) =>
        rowKey !== undefined &&
        e.tableLog.some(
          (w) =>
            w.at >= before.at &&
            w.at <= until &&
            w.method !== 'GET' &&
            w.status >= 200 &&
            w.status < 300 &&
            decodeURIComponent(w.path).includes(rowKey),
        );
      const killed = kills.some((k) => k >= before.at && k <= after.at && !recorded(k));
      if (killed) excused++;
      else
        unexcused.push({
          subject,
          message: `delivered again ${sec(after.at - before.at)} later, no kill before its record`,
        });
    }
  }
  return { unexcused, metrics: { duplicateNotices: total, excusedDuplicates: excused } };
}
