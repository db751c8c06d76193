import type { SenderFacts } from './facts.js';
import type { Policy } from './policy.js';

/**
 * Whether chat may show the first message of an invitation: the sender's own words to the account holder.
 * `outside-enterprise` (the default) shows it only for senders the server reports as outside the enterprise
 * (another network, or anonymous): that is where the words tell spam and phishing from a real contact, and
 * the gatekeeper exists to screen those senders. A colleague's message stays between the colleague and the
 * account holder, and so does one from a sender whose network the server did not report. Pure.
 */
export function showsFirstMessage(policy: Policy, sender: SenderFacts): boolean {
  switch (policy.privacy.firstMessage) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'outside-enterprise':
      return isOutsideEnterprise(sender);
  }
}

/** Anonymous, or from a network other than the account's own (Federated, PublicCloud, …). */
export function isOutsideEnterprise(sender: SenderFacts): boolean {
  if (sender.anonymous === true) return true;
  const network = sender.sourceNetwork?.trim().toLowerCase();
  return network !== undefined && network !== '' && network !== 'sameenterprise';
}
