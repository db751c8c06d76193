import { getDomain } from 'tldts';
import { z } from 'zod';

/**
 * The declarative gatekeeper policy (JSON, setting GATEKEEPER_POLICY). Rules are tried in order; the first
 * whose `on` and every `when` condition match decides. Conditions on a fact the server did not report never
 * match, so a missing `anonymous` never leads to an ejection.
 */

const oneOrMany = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

/**
 * `contoso.com` (that domain only) or `*.contoso.com` (its subdomains only). A wildcard over a public suffix
 * (`*.co.uk`, `*.com`) would vouch for strangers, so it is refused.
 */
const domainPattern = z
  .string()
  .regex(
    /^(\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i,
    'must be a domain such as contoso.com, or *.contoso.com for its subdomains',
  )
  .refine(
    (value) => !value.startsWith('*.') || getDomain(value.slice(2), { allowPrivateDomains: true }) !== null,
    {
      message: 'a wildcard must not cover a public suffix such as *.co.uk',
    },
  );
const domains = z
  .union([domainPattern, z.array(domainPattern).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

export const conditionSchema = z.strictObject({
  anonymous: z.boolean().optional(),
  inLobby: z.boolean().optional(),
  local: z.boolean().optional(),
  organizer: z.boolean().optional(),
  role: oneOrMany.optional(),
  sourceNetwork: oneOrMany.optional(),
  /** SIP URIs, compared case-insensitively, with or without `sip:`. */
  uri: oneOrMany.optional(),
  /** Domains: `contoso.com` exactly, `*.contoso.com` for its subdomains. */
  domain: domains.optional(),
  /** Invitation modality: messaging, audioVideo, onlineMeeting, participant, phoneAudio. */
  modality: oneOrMany.optional(),
});

const INVITATION_ACTIONS = ['summarize', 'decline', 'accept', 'ignore'] as const;
export const FIRST_MESSAGE_CHOICES = ['never', 'outside-enterprise', 'always'] as const;
const LOBBY_ACTIONS = ['summarize', 'eject', 'ignore'] as const;

export const ruleSchema = z
  .strictObject({
    name: z.string().min(1).max(80),
    /**
     * What the rule looks at: incoming invitations, lobby participants, or both (`any`); `roster`: people who
     * joined a meeting the account leads — only rules that say so, since someone may have admitted them.
     */
    on: z.enum(['invitation', 'lobby', 'roster', 'any']).default('any'),
    when: conditionSchema.default({}),
    action: z.enum(['summarize', 'eject', 'decline', 'accept', 'ignore']),
  })
  .superRefine((rule, ctx) => {
    const invitationOk = (INVITATION_ACTIONS as readonly string[]).includes(rule.action);
    const lobbyOk = (LOBBY_ACTIONS as readonly string[]).includes(rule.action);
    if (
      (rule.on === 'invitation' && !invitationOk) ||
      ((rule.on === 'lobby' || rule.on === 'roster') && !lobbyOk) ||
      (rule.on === 'any' && !(invitationOk && lobbyOk))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['action'],
        message: `action '${rule.action}' does not apply to on='${rule.on}' (eject: lobby and roster only; accept/decline: invitation only)`,
      });
    }
  });

export const policySchema = z.strictObject({
  rules: z.array(ruleSchema).max(200).default([]),
  /** Never acted upon (still summarised) unless anonymous: exact URIs, domains as `domain` conditions. */
  allow: z
    .strictObject({
      uris: z.array(z.string().min(1)).default([]),
      domains: z.array(domainPattern).default([]),
    })
    .default({ uris: [], domains: [] }),
  /** What chat may show of what a sender wrote (see privacy.ts). */
  privacy: z
    .strictObject({
      /** The first message of an IM: `never`, `outside-enterprise` (the default) or `always`. */
      firstMessage: z.enum(FIRST_MESSAGE_CHOICES).default('outside-enterprise'),
    })
    .default({ firstMessage: 'outside-enterprise' }),
  /** When no rule matches. */
  defaults: z
    .strictObject({
      invitation: z.enum(INVITATION_ACTIONS).default('summarize'),
      lobby: z.enum(LOBBY_ACTIONS).default('ignore'),
    })
    .default({ invitation: 'summarize', lobby: 'ignore' }),
});

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type Rule = z.output<typeof ruleSchema>;

/** Summarise every invitation; eject anonymous participants waiting in a lobby. */
export const DEFAULT_POLICY: Policy = policySchema.parse({
  rules: [
    { name: 'eject-anonymous-in-lobby', on: 'lobby', when: { anonymous: true }, action: 'eject' },
    { name: 'summarize-invitations', on: 'invitation', action: 'summarize' },
  ],
});

/** A policy that does not validate; `path` names the offending field. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`GATEKEEPER_POLICY${path ? ` at ${path}` : ''}: ${problem}`);
  }
}

/** Parse a policy from its JSON text. */
export function parsePolicy(json: string): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new PolicyError('', `not valid JSON (${(error as Error).message})`);
  }
  const result = policySchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new PolicyError((issue?.path ?? []).join('.'), issue?.message ?? 'invalid');
}
