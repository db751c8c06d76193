import { maskName, maskPhoneNumber, maskUri } from './mask.js';
import type {
  ActionOutcome,
  DigestSummary,
  InvitationSummary,
  MeetingFacts,
  Notice,
  NoticeDecision,
  SenderFacts,
} from './notice.js';
import { cleanOptional, cleanText, TEXT_CAPS } from './text.js';

/** Options every renderer accepts. */
export interface RenderOptions {
  /** Show phone numbers in full instead of `tel:+1425•••1111`. */
  showPhoneNumbers?: boolean;
}

const MAX_LINKS = 16;
const MAX_NETWORKS = 16;

function cleanSender(sender: SenderFacts, showPhones: boolean): SenderFacts {
  const phone = (value: string | undefined) => {
    const cleaned = cleanOptional(value, TEXT_CAPS.token);
    return cleaned === undefined || showPhones ? cleaned : maskPhoneNumber(cleaned);
  };
  const name = cleanOptional(sender.name, TEXT_CAPS.name);
  const uri = cleanOptional(sender.uri, TEXT_CAPS.uri);
  return dropUndefined({
    name: name === undefined || showPhones ? name : maskName(name),
    uri: uri === undefined || showPhones ? uri : maskUri(uri),
    domain: cleanOptional(sender.domain, TEXT_CAPS.uri),
    anonymous: sender.anonymous,
    inLobby: sender.inLobby,
    local: sender.local,
    organizer: sender.organizer,
    role: cleanOptional(sender.role, TEXT_CAPS.token),
    sourceNetwork: cleanOptional(sender.sourceNetwork, TEXT_CAPS.token),
    workPhoneNumber: phone(sender.workPhoneNumber),
    otherPhoneNumber: phone(sender.otherPhoneNumber),
    links: sender.links?.slice(0, MAX_LINKS).map((link) => cleanText(link, TEXT_CAPS.token)),
  });
}

function cleanInvitation(invitation: InvitationSummary): InvitationSummary {
  return dropUndefined({
    modality: cleanText(invitation.modality, TEXT_CAPS.token),
    subject: cleanOptional(invitation.subject, TEXT_CAPS.subject),
    importance: cleanOptional(invitation.importance, TEXT_CAPS.token),
    firstMessage: cleanOptional(invitation.firstMessage, TEXT_CAPS.message),
    firstMessageWithheld: invitation.firstMessageWithheld,
  });
}

function cleanMeeting(meeting: MeetingFacts, showPhones: boolean): MeetingFacts | undefined {
  const organizer = cleanOptional(meeting.organizerName, TEXT_CAPS.name);
  const cleaned = dropUndefined({
    subject: cleanOptional(meeting.subject, TEXT_CAPS.subject),
    organizerName: organizer === undefined || showPhones ? organizer : maskName(organizer),
    organizerUri: cleanOptional(meeting.organizerUri, TEXT_CAPS.uri),
    // Notices stored by an older release hold the conversation's href here: never shown.
    uri: /^sips?:/i.test(meeting.uri ?? '') ? cleanOptional(meeting.uri, TEXT_CAPS.uri) : undefined,
  });
  return Object.keys(cleaned).length > 0 ? cleaned : undefined;
}

function cleanDecision(decision: NoticeDecision): NoticeDecision {
  return {
    action: decision.action,
    rule: cleanText(decision.rule, TEXT_CAPS.rule),
    reason: cleanText(decision.reason, TEXT_CAPS.reason),
  };
}

function cleanDigest(digest: DigestSummary): DigestSummary {
  return {
    ...digest,
    bySourceNetwork: Object.fromEntries(
      Object.entries(digest.bySourceNetwork)
        .slice(0, MAX_NETWORKS)
        .map(([network, count]) => [cleanText(network, TEXT_CAPS.token) || 'unknown', count]),
    ),
  };
}

/**
 * The notice as every sink may show it: sender-controlled strings on one line without control or bidi
 * characters, capped, phone numbers masked unless `showPhoneNumbers`. Not yet escaped for any format.
 */
export function cleanNotice<N extends Notice>(notice: N, options?: RenderOptions): N;
export function cleanNotice(notice: Notice, options: RenderOptions = {}): Notice {
  const showPhones = options.showPhoneNumbers === true;
  // The outbox keeps notices as JSON: one an older release stored may lack what the types promise.
  switch (notice.kind) {
    case 'invitation':
      return {
        ...head(notice),
        sender: cleanSender(notice.sender ?? {}, showPhones),
        invitation: cleanInvitation(notice.invitation ?? { modality: 'unknown' }),
        decision: cleanDecision(notice.decision),
        outcome: cleanOutcome(notice.outcome),
      };
    case 'lobby': {
      const meeting = notice.meeting && cleanMeeting(notice.meeting, showPhones);
      return {
        ...head(notice),
        sender: cleanSender(notice.sender ?? {}, showPhones),
        ...(meeting && { meeting }),
        decision: cleanDecision(notice.decision),
        outcome: cleanOutcome(notice.outcome),
      };
    }
    case 'digest':
      return { ...head(notice), digest: cleanDigest(notice.digest) };
    case 'alert':
      return {
        ...head(notice),
        alert: {
          title: cleanText(notice.alert.title, TEXT_CAPS.title),
          detail: cleanText(notice.alert.detail, TEXT_CAPS.detail),
        },
      };
  }
}

function cleanOutcome(outcome: ActionOutcome): ActionOutcome {
  return dropUndefined({ status: outcome.status, detail: cleanOptional(outcome.detail, TEXT_CAPS.detail) });
}

/** What every notice starts with, in the order the webhook body shows it. */
function head<N extends Notice>(notice: N): Pick<N, 'id' | 'kind' | 'at' | 'mode' | 'account'> {
  const account = typeof notice.account === 'string' ? cleanText(notice.account, 64) : '';
  return { id: notice.id, kind: notice.kind, at: notice.at, mode: notice.mode, ...(account && { account }) };
}

/** `T` with every property that may be undefined made optional instead: what `dropUndefined` returns. */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Absent and undefined are the same to readers; JSON drops them anyway, tests compare objects. */
function dropUndefined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}
