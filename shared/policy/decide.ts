import type { SenderFacts } from './facts.js';
import type { Policy, Rule } from './policy.js';

/**
 * What the policy is asked about: an incoming invitation's sender, a participant waiting in a meeting lobby,
 * or one who joined the roster of a meeting the account leads.
 */
export type Subject =
  | { kind: 'invitation'; modality: string; sender: SenderFacts }
  | { kind: 'lobby' | 'roster'; participant: SenderFacts };

export type Action = 'summarize' | 'eject' | 'decline' | 'accept' | 'ignore';

export interface Decision {
  action: Action;
  /** The rule that matched, or `default` / a safety guard's name. */
  rule: string;
  reason: string;
  /** Post to chat: everything but `ignore`. */
  notify: boolean;
}

/**
 * The policy's decision. Pure: no I/O, no clock. Safety guards come after the rules and can only soften an
 * action: the allow-list, the meeting organizer and the account itself are never acted upon.
 */
export function decide(policy: Policy, subject: Subject): Decision {
  const facts = subject.kind === 'invitation' ? subject.sender : subject.participant;
  const rule = policy.rules.find((candidate) => matches(candidate, subject));
  const fallback = subject.kind === 'roster' ? 'ignore' : policy.defaults[subject.kind];
  const proposed: Decision = rule
    ? { action: rule.action, rule: rule.name, reason: describeRule(rule), notify: rule.action !== 'ignore' }
    : {
        action: fallback,
        rule: 'default',
        reason: `no rule matched; the default for ${DEFAULT_FOR[subject.kind]}`,
        notify: fallback !== 'ignore',
      };
  if (proposed.action === 'summarize' || proposed.action === 'ignore' || proposed.action === 'accept')
    return proposed;

  const guard = safetyGuard(policy, facts);
  return guard
    ? {
        action: 'summarize',
        rule: guard.rule,
        reason: `${proposed.rule} wanted ${proposed.action}, but ${guard.reason}`,
        notify: true,
      }
    : proposed;
}

function safetyGuard(policy: Policy, facts: SenderFacts): { rule: string; reason: string } | undefined {
  if (isAllowListed(policy, facts)) return { rule: 'allow-list', reason: 'the sender is allow-listed' };
  if (facts.organizer === true) return { rule: 'organizer', reason: 'the organizer is never acted upon' };
  if (facts.local === true) return { rule: 'self', reason: 'the gatekeeper never acts on its own account' };
  return undefined;
}

/**
 * Anonymous always wins: an anonymous participant's URI is assigned by the server (often in the host's own
 * domain), so no allow-list entry vouches for it.
 */
export function isAllowListed(policy: Policy, facts: SenderFacts): boolean {
  if (facts.anonymous === true) return false;
  const uri = normaliseUri(facts.uri);
  if (uri && policy.allow.uris.some((allowed) => normaliseUri(allowed) === uri)) return true;
  const domain = domainOf(facts);
  return domain !== undefined && policy.allow.domains.some((allowed) => domainMatches(domain, allowed));
}

function matches(rule: Rule, subject: Subject): boolean {
  // `any` never covers the roster: acting there takes a rule that says so.
  if (rule.on === 'any' ? subject.kind === 'roster' : rule.on !== subject.kind) return false;
  const facts = subject.kind === 'invitation' ? subject.sender : subject.participant;
  const when = rule.when;
  const flags = ['anonymous', 'inLobby', 'local', 'organizer'] as const;
  for (const flag of flags) {
    if (when[flag] !== undefined && facts[flag] !== when[flag]) return false;
  }
  if (when.role && !includesIgnoringCase(when.role, facts.role)) return false;
  if (when.sourceNetwork && !includesIgnoringCase(when.sourceNetwork, facts.sourceNetwork)) return false;
  if (when.uri) {
    const uri = normaliseUri(facts.uri);
    if (!uri || !when.uri.some((candidate) => normaliseUri(candidate) === uri)) return false;
  }
  if (when.domain) {
    const domain = domainOf(facts);
    if (!domain || !when.domain.some((candidate) => domainMatches(domain, candidate))) return false;
  }
  if (when.modality) {
    const modality = subject.kind === 'invitation' ? subject.modality : undefined;
    if (!includesIgnoringCase(when.modality, modality)) return false;
  }
  return true;
}

const DEFAULT_FOR: Record<Subject['kind'], string> = {
  invitation: 'invitations',
  lobby: 'lobby guests',
  roster: 'meeting participants',
};

const FLAG_WORDS: Record<'anonymous' | 'inLobby' | 'local' | 'organizer', [string, string]> = {
  anonymous: ['anonymous', 'not anonymous'],
  inLobby: ['waiting in the lobby', 'in the meeting'],
  local: ['the account itself', 'not the account itself'],
  organizer: ['the organizer', 'not the organizer'],
};

const EVERYONE: Record<Rule['on'], string> = {
  invitation: 'every invitation',
  lobby: 'everyone waiting in a lobby',
  roster: 'everyone in the meeting',
  any: 'everyone',
};

/** Why a rule matched, in a reader's words: `anonymous, from PublicCloud or Federated`. */
export function describeRule(rule: Rule): string {
  const { when } = rule;
  const phrases: string[] = [];
  for (const flag of Object.keys(FLAG_WORDS) as (keyof typeof FLAG_WORDS)[]) {
    const value = when[flag];
    if (value !== undefined) phrases.push(FLAG_WORDS[flag][value ? 0 : 1]);
  }
  const or = (list: readonly string[]) => list.join(' or ');
  if (when.sourceNetwork) phrases.push(`from ${or(when.sourceNetwork)}`);
  if (when.domain) phrases.push(`domain ${or(when.domain)}`);
  if (when.uri) phrases.push(`address ${or(when.uri)}`);
  if (when.role) phrases.push(`role ${or(when.role)}`);
  if (when.modality) phrases.push(`a ${or(when.modality)} invitation`);
  return phrases.length > 0 ? phrases.join(', ') : EVERYONE[rule.on];
}

function includesIgnoringCase(list: readonly string[], value: string | undefined): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  return list.some((item) => item.toLowerCase() === lower);
}

/** `SIP:Alice@Contoso.com` → `alice@contoso.com`. */
export function normaliseUri(uri: string | undefined): string | undefined {
  const trimmed = uri?.trim().toLowerCase().replace(/^sip:/, '');
  return trimmed ? trimmed : undefined;
}

/** The domain of a SIP URI, lower-case; undefined for anonymous or malformed URIs. */
export function domainOfUri(uri: string | undefined): string | undefined {
  const at = normaliseUri(uri)?.split(';')[0]?.split('@');
  return at && at.length === 2 && at[1] ? at[1] : undefined;
}

function domainOf(facts: SenderFacts): string | undefined {
  return facts.domain?.toLowerCase() ?? domainOfUri(facts.uri);
}

/** `contoso.com` matches itself only; `*.contoso.com` matches its subdomains only (case-insensitive). */
export function domainMatches(domain: string, pattern: string): boolean {
  const host = domain.toLowerCase();
  const wanted = pattern.toLowerCase();
  return wanted.startsWith('*.') ? host.endsWith(wanted.slice(1)) : host === wanted;
}
