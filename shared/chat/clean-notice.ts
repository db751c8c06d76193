import { maskName, maskPhoneNumber, maskUri } from './mask.js';
import type { Notice, SenderFacts } from './notice.js';
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

/**
 * The notice as every sink may show it: sender-controlled strings on one line without control or bidi
 * characters, capped, phone numbers masked unless `showPhoneNumbers`. Not yet escaped for any format.
 */
export function cleanNotice(notice: Notice, options: RenderOptions = {}): Notice {
  const showPhones = options.showPhoneNumbers === true;
  const { invitation, meeting, decision, outcome, digest, alert } = notice;
  return dropUndefined({
    id: notice.id,
    kind: notice.kind,
    at: notice.at,
    mode: notice.mode,
    sender: notice.sender && cleanSender(notice.sender, showPhones),
    invitation:
      invitation &&
      dropUndefined({
        modality: cleanText(invitation.modality, TEXT_CAPS.token),
        subject: cleanOptional(invitation.subject, TEXT_CAPS.subject),
        importance: cleanOptional(invitation.importance, TEXT_CAPS.token),
        firstMessage: cleanOptional(invitation.firstMessage, TEXT_CAPS.message),
      }),
    meeting:
      meeting &&
      dropUndefined({
        uri: cleanOptional(meeting.uri, TEXT_CAPS.uri),
        subject: cleanOptional(meeting.subject, TEXT_CAPS.subject),
      }),
    decision: decision && {
      action: decision.action,
      rule: cleanText(decision.rule, TEXT_CAPS.rule),
      reason: cleanText(decision.reason, TEXT_CAPS.reason),
    },
    outcome:
      outcome &&
      dropUndefined({ status: outcome.status, detail: cleanOptional(outcome.detail, TEXT_CAPS.detail) }),
    digest: digest && {
      ...digest,
      bySourceNetwork: Object.fromEntries(
        Object.entries(digest.bySourceNetwork)
          .slice(0, MAX_NETWORKS)
          .map(([network, count]) => [cleanText(network, TEXT_CAPS.token) || 'unknown', count]),
      ),
    },
    alert: alert && {
      title: cleanText(alert.title, TEXT_CAPS.title),
      detail: cleanText(alert.detail, TEXT_CAPS.detail),
    },
  });
}

/** Absent and undefined are the same to readers; JSON drops them anyway, tests compare objects. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
