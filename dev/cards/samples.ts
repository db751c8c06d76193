import type { Notice } from '../../shared/chat/notice.js';

/**
 * One notice of every card kind, as the gatekeeper builds them in the demo's meeting: the golden-file tests
 * render each in every format, the Adaptive Cards test parses each, and `npm run cards:render` photographs
 * each for docs/img/.
 */

const APP = 'https://lync.contoso.com/ucwa/oauth/v1/applications/113';
const MEETING = {
  subject: 'Quarterly review',
  organizerName: 'Alice Wood',
  organizerUri: 'sip:alice@contoso.com',
  uri: 'sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:DEMO4711',
};
const AT = '2025-03-14T09:30:12.345Z';
const ANONYMOUS_GUEST = {
  name: 'Guest 1',
  uri: 'sip:anon-8812@contoso.com',
  anonymous: true,
  inLobby: true,
  role: 'attendee',
  sourceNetwork: 'PublicCloud',
};
const EJECT_ANONYMOUS = {
  action: 'eject' as const,
  rule: 'eject-anonymous-in-lobby',
  reason: 'anonymous',
};

export const CARD_SAMPLES = {
  'lobby-removed': {
    id: `eject|${APP}/communication/conversations/7/participants/anon-8812|${AT}`,
    kind: 'lobby',
    at: AT,
    mode: 'enforce',
    sender: ANONYMOUS_GUEST,
    meeting: MEETING,
    decision: EJECT_ANONYMOUS,
    outcome: { status: 'done', detail: 'rejected from the lobby' },
  },
  'lobby-dry-run': {
    id: `eject|${APP}/communication/conversations/7/participants/anon-8812|${AT}`,
    kind: 'lobby',
    at: AT,
    mode: 'dry-run',
    sender: ANONYMOUS_GUEST,
    meeting: MEETING,
    decision: EJECT_ANONYMOUS,
    outcome: { status: 'would-do', detail: 'would reject' },
  },
  'lobby-failed': {
    id: `eject|${APP}/communication/conversations/7/participants/dial-in-3|${AT}`,
    kind: 'lobby',
    at: AT,
    mode: 'enforce',
    sender: {
      name: 'Dial-in caller',
      anonymous: true,
      inLobby: true,
      sourceNetwork: 'Unknown',
      otherPhoneNumber: 'tel:+442071234567',
    },
    meeting: MEETING,
    decision: EJECT_ANONYMOUS,
    outcome: { status: 'failed', detail: 'UCWA answered 500 ServiceFailure after 5 attempts' },
  },
  'meeting-removed': {
    id: `eject|${APP}/communication/conversations/7/participants/anon-9027|${AT}`,
    kind: 'lobby',
    at: AT,
    mode: 'enforce',
    sender: { ...ANONYMOUS_GUEST, name: 'Anonymous', uri: 'sip:anon-9027@contoso.com', inLobby: false },
    meeting: MEETING,
    decision: { action: 'eject', rule: 'eject-anonymous-in-meeting', reason: 'anonymous' },
    outcome: { status: 'done', detail: 'ejected' },
  },
  'invitation-external': {
    id: `invitation|${APP}/communication/messagingInvitations/41|op-5521|${AT}`,
    kind: 'invitation',
    at: AT,
    mode: 'enforce',
    sender: {
      name: 'Jan Novak',
      uri: 'sip:jan.novak@fabrikam.com',
      anonymous: false,
      sourceNetwork: 'Federated',
    },
    invitation: { modality: 'messaging', firstMessage: 'Hello from Fabrikam, are we still on for Thursday?' },
    decision: { action: 'summarize', rule: 'summarize-invitations', reason: 'every invitation' },
    outcome: { status: 'done' },
  },
  'invitation-private': {
    id: `invitation|${APP}/communication/messagingInvitations/40|op-5520|${AT}`,
    kind: 'invitation',
    at: AT,
    mode: 'enforce',
    sender: {
      name: 'Lene Aaling',
      uri: 'sip:lenea@contoso.com',
      anonymous: false,
      sourceNetwork: 'SameEnterprise',
      workPhoneNumber: 'tel:+14255550101',
    },
    invitation: { modality: 'messaging', subject: 'Deck review', firstMessageWithheld: true },
    decision: { action: 'summarize', rule: 'summarize-invitations', reason: 'every invitation' },
    outcome: { status: 'done' },
  },
  'invitation-declined': {
    id: `invitation|${APP}/communication/phoneAudioInvitations/44|op-5524|${AT}`,
    kind: 'invitation',
    at: AT,
    mode: 'enforce',
    sender: {
      name: 'Free Gift Cards',
      uri: 'sip:promo7731@outlook.com',
      anonymous: true,
      sourceNetwork: 'PublicCloud',
    },
    invitation: { modality: 'phoneAudio', subject: 'You won!' },
    decision: { action: 'decline', rule: 'decline-anonymous-calls', reason: 'anonymous' },
    outcome: { status: 'done' },
  },
  digest: {
    id: 'digest|2025-03-13T09:00:00.000Z|2025-03-14T09:00:00.000Z',
    kind: 'digest',
    at: '2025-03-14T09:00:00.000Z',
    mode: 'enforce',
    digest: {
      periodStart: '2025-03-13T09:00:00.000Z',
      periodEnd: '2025-03-14T09:00:00.000Z',
      invitations: 14,
      bySourceNetwork: { SameEnterprise: 9, Federated: 3, PublicCloud: 2 },
      anonymousKnocks: 5,
      ejections: 4,
      failures: 1,
    },
  },
  alert: {
    id: `alert|watch|${AT}`,
    kind: 'alert',
    at: AT,
    mode: 'enforce',
    alert: {
      title: 'Removal failed 5 times',
      detail: 'Dial-in caller is still in the lobby of Quarterly review: UCWA answered 500 ServiceFailure.',
    },
  },
} satisfies Record<string, Notice>;

export type CardSampleName = keyof typeof CARD_SAMPLES;

export const CARD_SAMPLE_NAMES = Object.keys(CARD_SAMPLES) as CardSampleName[];
