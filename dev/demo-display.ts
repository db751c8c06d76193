import type { Notice, SenderFacts } from '../shared/chat/notice.js';
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
    const status =
      notice.kind === 'invitation' || notice.kind === 'lobby' ? notice.outcome?.status : undefined;
    if (status === 'failed' || status === 'not-permitted' || notice.kind === 'alert') {
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

function who(sender: SenderFacts | undefined): string {
  if (!sender) return 'unknown sender';
  const facts = [
    sender.sourceNetwork,
    sender.anonymous ? 'anonymous' : undefined,
    sender.inLobby ? 'in lobby' : undefined,
    sender.role,
  ].filter(Boolean);
  return `${plain(sender.name) || '(no name)'} <${plain(sender.uri) || 'no uri'}> · ${facts.join(' · ')}`;
}

/**
 * One readable line (or a few) for a notice the webhook sink received, naming the account it is about (a
 * deployment with named accounts); undefined for anything else.
 */
export function renderDemoLine(body: unknown, tally: Tally): string | undefined {
  const line = render(body, tally);
  const account = (body as { account?: unknown } | null)?.account;
  return line && typeof account === 'string' ? line.replace(/^([▶!]) /, `$1 [${plain(account)}] `) : line;
}

function render(body: unknown, tally: Tally): string | undefined {
  if (typeof body !== 'object' || body === null || !('kind' in body)) return undefined;
  const notice = body as Notice;
  tally.add(notice);
  const effect = notice.kind === 'invitation' || notice.kind === 'lobby' ? notice : undefined;
  const decision = effect?.decision ? `→ ${effect.decision.action} (${plain(effect.decision.rule)})` : '';
  const outcome = effect?.outcome
    ? ` · ${effect.outcome.status}${effect.outcome.detail ? `: ${plain(effect.outcome.detail)}` : ''}`
    : '';
  const mode = notice.mode === 'dry-run' ? ' [DRY-RUN]' : '';
  switch (notice.kind) {
    case 'invitation': {
      const invitation = notice.invitation;
      const subject = invitation?.subject ? ` · "${plain(invitation.subject)}"` : '';
      const message = invitation?.firstMessage
        ? `\n    "${plain(invitation.firstMessage)}"`
        : invitation?.firstMessageWithheld
          ? '\n    (first message kept private: policy privacy.firstMessage)'
          : '';
      return `▶ ${invitation?.modality ?? 'invitation'} from ${who(notice.sender)}${subject}${message}\n    ${decision}${outcome}${mode}`;
    }
    case 'lobby': {
      const place = notice.sender?.inLobby === false ? 'meeting' : 'lobby';
      const where = notice.meeting?.subject ? `${place} of "${plain(notice.meeting.subject)}"` : place;
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
