import { describe, expect, it } from 'vitest';
import { describeRule } from '../../shared/policy/decide.js';
import type { SenderFacts } from '../../shared/policy/facts.js';
import { DEFAULT_POLICY, PolicyError, parsePolicy, ruleSchema } from '../../shared/policy/policy.js';
import { isOutsideEnterprise, showsFirstMessage } from '../../shared/policy/privacy.js';

const colleague: SenderFacts = { sourceNetwork: 'SameEnterprise', anonymous: false };
const partner: SenderFacts = { sourceNetwork: 'Federated', anonymous: false };
const consumer: SenderFacts = { sourceNetwork: 'PublicCloud' };
const anonymous: SenderFacts = { anonymous: true };
const anonymousColleagueNetwork: SenderFacts = { anonymous: true, sourceNetwork: 'SameEnterprise' };
const unreported: SenderFacts = {};

const withPrivacy = (firstMessage: string) => parsePolicy(JSON.stringify({ privacy: { firstMessage } }));

describe('privacy.firstMessage: where chat may show what a sender wrote', () => {
  it('defaults to outside-enterprise', () => {
    expect(DEFAULT_POLICY.privacy).toEqual({ firstMessage: 'outside-enterprise' });
    expect(parsePolicy('{}').privacy).toEqual({ firstMessage: 'outside-enterprise' });
  });

  it.each([
    ['outside-enterprise', colleague, false],
    ['outside-enterprise', partner, true],
    ['outside-enterprise', consumer, true],
    ['outside-enterprise', anonymous, true],
    ['outside-enterprise', anonymousColleagueNetwork, true],
    // The server did not say where the sender is from: the words stay private.
    ['outside-enterprise', unreported, false],
    ['outside-enterprise', { sourceNetwork: '  sameenterprise ' }, false],
    ['never', partner, false],
    ['never', anonymous, false],
    ['always', colleague, true],
    ['always', unreported, true],
  ] as const)('%s, sender %j → shown: %s', (choice, sender, shown) => {
    expect(showsFirstMessage(withPrivacy(choice), sender)).toBe(shown);
  });

  it('refuses other values and unknown privacy settings, naming the path', () => {
    expect(() => withPrivacy('sometimes')).toThrow(PolicyError);
    expect(() => withPrivacy('sometimes')).toThrow(/privacy\.firstMessage/);
    expect(() => parsePolicy(JSON.stringify({ privacy: { subject: 'never' } }))).toThrow(/privacy/);
  });

  it('treats only what the server reported as outside', () => {
    expect([colleague, partner, consumer, anonymous, unreported].map(isOutsideEnterprise)).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('rule reasons, in a reader’s words', () => {
  const rule = (value: unknown) => ruleSchema.parse(value);
  it.each([
    [{ name: 'r', on: 'lobby', when: { anonymous: true }, action: 'eject' }, 'anonymous'],
    [
      {
        name: 'r',
        on: 'invitation',
        when: { anonymous: false, sourceNetwork: ['PublicCloud', 'Federated'] },
        action: 'decline',
      },
      'not anonymous, from PublicCloud or Federated',
    ],
    [
      { name: 'r', on: 'roster', when: { organizer: false, role: 'attendee' }, action: 'eject' },
      'not the organizer, role attendee',
    ],
    [
      { name: 'r', on: 'lobby', when: { inLobby: true, domain: '*.fabrikam.com' }, action: 'eject' },
      'waiting in the lobby, domain *.fabrikam.com',
    ],
    [
      { name: 'r', on: 'invitation', when: { modality: ['messaging', 'phoneAudio'] }, action: 'summarize' },
      'a messaging or phoneAudio invitation',
    ],
    [
      { name: 'r', on: 'invitation', when: { uri: 'sip:x@y.example', local: false }, action: 'ignore' },
      'not the account itself, address sip:x@y.example',
    ],
    [{ name: 'r', on: 'invitation', action: 'summarize' }, 'every invitation'],
    [{ name: 'r', on: 'roster', action: 'summarize' }, 'everyone in the meeting'],
    [{ name: 'r', action: 'ignore' }, 'everyone'],
  ])('%j → %s', (value, reason) => {
    expect(describeRule(rule(value))).toBe(reason);
  });
});
