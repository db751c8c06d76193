import type { Notice } from '../shared/chat/notice.js';
import { cleanText } from '../shared/chat/text.js';

/** Counts for the live tally under each line. */
export class Tally {
  invitations = 0;
  anonymousKnocks = 0;
  ejected = 0;
  wouldEject = 0;
  failures = 0;

  add(notice: Notice): void {
    if (notice.kind === 'invitation') this.invitations++;
    if (notice.kind === 'lobby' && notice.sender?.anonymous && notice.sender.inLobby !== false)
      this.anonymousKnocks++;
    if (notice.kind === 'lobby' && notice.decision?.action === 'eject') {
      if (notice.outcome?.status === 'done') this.ejected++;
      if (notice.outcome?.status === 'would-do') this.wouldEject++;
    }
    if (
      notice.outcome?.status === 'failed' ||
      notice.outcome?.status === 'not-permitted' ||
      notice.kind === 'alert'
    ) {
      this.failures++;
    }
  }

  line(): string {
    // Removed: rejected from a lobby or ejected from a meeting.
    const wouldEject = this.wouldEject > 0 ? ` · ${this.wouldEject} would be removed (dry-run)` : '';
    return `Tally: ${this.invitations} invitations · ${this.anonymousKnocks} anonymous knocks · ${this.ejected} removed${wouldEject} · ${this.failures} failures`;
  }
}

/** Terminal control characters must never come through from sender-controlled text. */
function plain(text: string | undefined): string {
  return cleanText(text ?? '', 500);
}

function who(sender: Notice['sender']): string {
  if (!sender) return 'unknown sender';
  const facts = [
    sender.sourceNetwork,
    sender.anonymous ? 'anonymous' : undefined,
    sender.inLobby ? 'in lobby' : undefined,
    sender.role,
  ].filter(Boolean);
  return `${plain(sender.name) || '(no name)'} <${plain(sender.uri) || 'no uri'}> · ${facts.join(' · ')}`;
}

/** One readable line (or a few) for a notice the webhook sink received; undefined for anything else. */
export function renderDemoLine(body: unknown, tally: Tally): string | undefined {
  if (typeof body !== 'object' || body === null || !('kind' in body)) return undefined;
  const notice = body as Notice;
  tally.add(notice);
  const decision = notice.decision ? `→ ${notice.decision.action} (${plain(notice.decision.rule)})` : '';
  const outcome = notice.outcome
    ? ` · ${notice.outcome.status}${notice.outcome.detail ? `: ${plain(notice.outcome.detail)}` : ''}`
    : '';
  const mode = notice.mode === 'dry-run' ? ' [DRY-RUN]' : '';
  switch (notice.kind) {
    case 'invitation': {
      const invitation = notice.invitation;
      const subject = invitation?.subject ? ` · "${plain(invitation.subject)}"` : '';
      const message = invitation?.firstMessage ? `\n    "${plain(invitation.firstMessage)}"` : '';
      return `▶ ${invitation?.modality ?? 'invitation'} from ${who(notice.sender)}${subject}${message}\n    ${decision}${outcome}${mode}`;
    }
    case 'lobby': {
      const where = notice.sender?.inLobby === false ? 'meeting' : 'lobby';
      return `▶ ${where}: ${who(notice.sender)}\n    ${decision}${outcome}${mode}`;
    }
    case 'alert':
      return `! ${plain(notice.alert?.title)}: ${plain(notice.alert?.detail)}`;
    case 'digest':
      return `▶ digest: ${notice.digest?.invitations ?? 0} invitations, ${notice.digest?.ejections ?? 0} ejections`;
    default:
      return undefined;
  }
}
