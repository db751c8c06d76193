import type { OutcomeStatus } from '../gatekeeper/outcome.js';
import type { EffectNotice, InvitationNotice, LobbyNotice, NoticeAction } from './notice.js';

/**
 * The words a notice leads with: what was decided and what came of it, in the reader's language ("Removed
 * from the lobby", "Would decline a phone call"), and how loudly to say it.
 */

export type Tone = 'default' | 'good' | 'warning' | 'attention';

export interface Lead {
  headline: string;
  tone: Tone;
}

export const ACTION_LABELS: Record<NoticeAction, string> = {
  summarize: 'Report',
  eject: 'Remove',
  reject: 'Remove',
  decline: 'Decline',
  accept: 'Accept',
  ignore: 'Ignore',
};

export const OUTCOME_LABELS: Record<OutcomeStatus, string> = {
  done: 'Done',
  'would-do': 'Would have acted (dry-run)',
  skipped: 'Skipped',
  failed: 'Failed',
  'already-left': 'Already gone',
  'not-permitted': 'Not permitted',
};

const MODALITY_NOUNS: Record<string, string> = {
  messaging: 'Instant message',
  audioVideo: 'Audio/video call',
  phoneAudio: 'Phone call',
  onlineMeeting: 'Meeting invitation',
  participant: 'Invitation to a conversation',
};

/** `Instant message`, `Phone call`; an unknown modality by its UCWA name. */
export function modalityNoun(modality: string): string {
  return MODALITY_NOUNS[modality] ?? `${modality} invitation`;
}

/** `an instant message`, for "Declined an instant message". */
function withArticle(noun: string): string {
  const lower = noun.charAt(0).toLowerCase() + noun.slice(1);
  return `${/^[aeiou]/i.test(lower) ? 'an' : 'a'} ${lower}`;
}

/** In the lobby unless the participant's own resource said otherwise (an `on: "roster"` rule). */
export function isInMeeting(notice: LobbyNotice): boolean {
  return notice.sender?.inLobby === false;
}

function lobbyLead(notice: LobbyNotice): Lead {
  const place = isInMeeting(notice) ? 'the meeting' : 'the lobby';
  const status = notice.outcome.status;
  if (notice.decision.action === 'eject' || notice.decision.action === 'reject') {
    switch (status) {
      case 'done':
        return { headline: `Removed from ${place}`, tone: 'attention' };
      case 'would-do':
        return { headline: `Would remove from ${place}`, tone: 'attention' };
      case 'failed':
        return { headline: `Could not remove from ${place}`, tone: 'attention' };
      case 'not-permitted':
        return { headline: `Not allowed to remove from ${place}`, tone: 'attention' };
      case 'already-left':
        return { headline: `Left ${place} before removal`, tone: 'default' };
      case 'skipped':
        return { headline: `Not removed from ${place}`, tone: 'default' };
    }
  }
  if (status === 'not-permitted')
    return { headline: `Not allowed to see someone in ${place}`, tone: 'attention' };
  if (status === 'failed') return { headline: `Could not check someone in ${place}`, tone: 'attention' };
  return { headline: isInMeeting(notice) ? 'In the meeting' : 'Waiting in the lobby', tone: 'default' };
}

function invitationLead(notice: InvitationNotice): Lead {
  const noun = modalityNoun(notice.invitation?.modality ?? 'unknown');
  const status = notice.outcome.status;
  const action = notice.decision.action;
  if (action === 'accept' || action === 'decline') {
    const verb = action === 'accept' ? 'accept' : 'decline';
    const past = action === 'accept' ? 'Accepted' : 'Declined';
    const what = withArticle(noun);
    switch (status) {
      case 'done':
        return { headline: `${past} ${what}`, tone: action === 'accept' ? 'good' : 'attention' };
      case 'would-do':
        return { headline: `Would ${verb} ${what}`, tone: 'attention' };
      case 'failed':
        return { headline: `Could not ${verb} ${what}`, tone: 'attention' };
      case 'not-permitted':
        return { headline: `Not allowed to ${verb} ${what}`, tone: 'attention' };
      case 'already-left':
        return { headline: `${noun} ended before it could be ${past.toLowerCase()}`, tone: 'default' };
      case 'skipped':
        return { headline: `${noun}, not ${past.toLowerCase()}`, tone: 'default' };
    }
  }
  if (status === 'not-permitted') return { headline: `${noun} the server would not show`, tone: 'attention' };
  if (status === 'failed') return { headline: `Could not handle ${withArticle(noun)}`, tone: 'attention' };
  return { headline: noun, tone: 'default' };
}

/** The decision and its outcome, for a notice about one participant or sender. */
export function effectLead(notice: EffectNotice): Lead {
  return notice.kind === 'lobby' ? lobbyLead(notice) : invitationLead(notice);
}
