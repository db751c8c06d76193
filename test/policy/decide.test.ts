import { describe, expect, it } from 'vitest';
import { decide, domainOfUri } from '../../shared/policy/decide.js';
import { DEFAULT_POLICY, PolicyError, parsePolicy } from '../../shared/policy/policy.js';

const anonymousGuest = {
  anonymous: true,
  inLobby: true,
  sourceNetwork: 'PublicCloud',
  name: 'Guest',
  uri: 'sip:guest@anon.example',
};
const colleague = { anonymous: false, sourceNetwork: 'SameEnterprise', uri: 'sip:alice@contoso.com' };

describe('default policy', () => {
  it('ejects anonymous lobby participants', () => {
    expect(decide(DEFAULT_POLICY, { kind: 'lobby', participant: anonymousGuest })).toMatchObject({
      action: 'eject',
      rule: 'eject-anonymous-in-lobby',
      notify: true,
    });
  });
  it('leaves other lobby participants alone, quietly', () => {
    expect(decide(DEFAULT_POLICY, { kind: 'lobby', participant: colleague })).toMatchObject({
      action: 'ignore',
      rule: 'default',
      notify: false,
    });
  });
  it('never ejects when the server did not say anonymous', () => {
    expect(decide(DEFAULT_POLICY, { kind: 'lobby', participant: { inLobby: true } }).action).toBe('ignore');
  });
  it('summarises every invitation', () => {
    const decision = decide(DEFAULT_POLICY, {
      kind: 'invitation',
      modality: 'messaging',
      sender: anonymousGuest,
    });
    expect(decision).toMatchObject({ action: 'summarize', rule: 'summarize-invitations', notify: true });
  });
});

describe('roster arrivals (people who joined a meeting the account leads)', () => {
  const inMeeting = { ...anonymousGuest, inLobby: false };
  it('are left alone by the default policy, quietly', () => {
    expect(decide(DEFAULT_POLICY, { kind: 'roster', participant: inMeeting })).toMatchObject({
      action: 'ignore',
      rule: 'default',
      notify: false,
    });
  });
  it('match only rules that say on: roster, never lobby or any rules', () => {
    const policy = parsePolicy(
      JSON.stringify({
        rules: [
          { name: 'eject-everyone-waiting', on: 'lobby', action: 'eject' },
          { name: 'summarize-all', on: 'any', action: 'summarize' },
          { name: 'eject-anonymous-in-meeting', on: 'roster', when: { anonymous: true }, action: 'eject' },
        ],
      }),
    );
    expect(decide(policy, { kind: 'roster', participant: inMeeting })).toMatchObject({
      action: 'eject',
      rule: 'eject-anonymous-in-meeting',
    });
    expect(decide(policy, { kind: 'roster', participant: colleague }).rule).toBe('default');
  });
  it('take lobby actions only', () => {
    expect(() =>
      parsePolicy(JSON.stringify({ rules: [{ name: 'x', on: 'roster', action: 'decline' }] })),
    ).toThrow(PolicyError);
  });
});

describe('safety guards', () => {
  const policy = parsePolicy(
    JSON.stringify({
      rules: [
        { name: 'eject-all', on: 'lobby', action: 'eject' },
        {
          name: 'decline-federated',
          on: 'invitation',
          when: { sourceNetwork: 'federated' },
          action: 'decline',
        },
      ],
      allow: { uris: ['SIP:VIP@partner.example'], domains: ['trusted.example'] },
    }),
  );
  const named = { ...anonymousGuest, anonymous: false };
  it.each([
    ['allow-listed URI', { ...named, uri: 'sip:vip@partner.example' }, 'allow-list'],
    ['allow-listed domain', { ...named, uri: 'sip:x@trusted.example' }, 'allow-list'],
    ['organizer', { ...anonymousGuest, organizer: true }, 'organizer'],
    ['the account itself', { ...anonymousGuest, local: true }, 'self'],
  ])('%s is summarised, not ejected', (_label, participant, rule) => {
    expect(decide(policy, { kind: 'lobby', participant })).toMatchObject({
      action: 'summarize',
      rule,
      notify: true,
    });
  });
  it('applies guards to declines too, and matches enums case-insensitively', () => {
    const sender = { sourceNetwork: 'Federated', uri: 'sip:bob@other.example' };
    expect(decide(policy, { kind: 'invitation', modality: 'messaging', sender }).action).toBe('decline');
    expect(
      decide(policy, {
        kind: 'invitation',
        modality: 'messaging',
        sender: { ...sender, uri: 'sip:a@trusted.example' },
      }).action,
    ).toBe('summarize');
  });
  it('does not treat a look-alike domain as allow-listed', () => {
    expect(
      decide(policy, { kind: 'lobby', participant: { ...anonymousGuest, uri: 'sip:x@nottrusted.example' } })
        .action,
    ).toBe('eject');
  });
});

describe('the allow-list: anonymous always wins, domains match exactly or by explicit wildcard', () => {
  const policy = parsePolicy(
    JSON.stringify({
      rules: [{ name: 'eject-all', on: 'lobby', action: 'eject' }],
      allow: { uris: ['sip:anon-8812@contoso.com'], domains: ['contoso.com', '*.partner.example'] },
    }),
  );
  const verdict = (participant: Record<string, unknown>) =>
    decide(policy, { kind: 'lobby', participant: { inLobby: true, ...participant } }).action;

  it.each([
    // [label, uri, anonymous, expected]
    ['the exact domain', 'sip:alice@contoso.com', false, 'summarize'],
    ['the exact domain in another case', 'sip:Alice@CONTOSO.com', false, 'summarize'],
    ['an unreported anonymity', 'sip:alice@contoso.com', undefined, 'summarize'],
    ['a subdomain of an exact entry', 'sip:alice@eu.contoso.com', false, 'eject'],
    ['a look-alike suffix', 'sip:alice@evilcontoso.com', false, 'eject'],
    ['a look-alike prefix', 'sip:alice@contoso.com.evil.example', false, 'eject'],
    ['a trailing dot', 'sip:alice@contoso.com.', false, 'eject'],
    ['a subdomain of a wildcard', 'sip:bob@eu.partner.example', false, 'summarize'],
    ['a wildcard in another case', 'sip:bob@EU.Partner.Example', false, 'summarize'],
    ['the apex under a wildcard', 'sip:bob@partner.example', false, 'eject'],
    ['a look-alike of a wildcard', 'sip:bob@eu.notpartner.example', false, 'eject'],
    ['an anonymous guest in the exact domain', 'sip:anon-1@contoso.com', true, 'eject'],
    ['an anonymous guest with an allow-listed URI', 'sip:anon-8812@contoso.com', true, 'eject'],
    ['an anonymous guest under a wildcard', 'sip:anon@eu.partner.example', true, 'eject'],
  ])('%s: %s (anonymous %s) → %s', (_label, uri, anonymous, expected) => {
    expect(verdict({ uri, ...(anonymous === undefined ? {} : { anonymous }) })).toBe(expected);
  });

  it('applies the same matching to `domain` conditions', () => {
    const rules = parsePolicy(
      JSON.stringify({
        rules: [
          { name: 'exact', on: 'invitation', when: { domain: 'contoso.com' }, action: 'decline' },
          { name: 'subdomains', on: 'invitation', when: { domain: '*.contoso.com' }, action: 'accept' },
        ],
      }),
    );
    const rule = (uri: string) =>
      decide(rules, { kind: 'invitation', modality: 'messaging', sender: { uri } }).rule;
    expect(rule('sip:a@contoso.com')).toBe('exact');
    expect(rule('sip:a@eu.contoso.com')).toBe('subdomains');
    expect(rule('sip:a@evilcontoso.com')).toBe('default');
  });

  it.each([
    ['a leading dot', '.contoso.com'],
    ['a bare wildcard', '*'],
    ['a wildcard inside a label', '*contoso.com'],
    ['a wildcard over a public suffix', '*.co.uk'],
    ['a wildcard over a top-level domain', '*.com'],
    ['a single label', 'contoso'],
    ['a URL', 'https://contoso.com'],
  ])('refuses %s (%s) as an allow-list domain', (_label, domain) => {
    expect(() => parsePolicy(JSON.stringify({ allow: { domains: [domain] } }))).toThrow(PolicyError);
  });
});

describe('rules', () => {
  it('match on role, modality, uri and domain, first match wins', () => {
    const policy = parsePolicy(
      JSON.stringify({
        rules: [
          { name: 'ignore-leaders', on: 'lobby', when: { role: 'Leader' }, action: 'ignore' },
          {
            name: 'decline-calls-from-outside',
            on: 'invitation',
            when: { modality: ['audioVideo', 'phoneAudio'], sourceNetwork: ['Federated', 'PublicCloud'] },
            action: 'decline',
          },
          {
            name: 'accept-meetings-from-contoso',
            on: 'invitation',
            when: { modality: 'onlineMeeting', domain: 'contoso.com' },
            action: 'accept',
          },
          { name: 'eject-by-uri', on: 'lobby', when: { uri: 'sip:troll@x.example' }, action: 'eject' },
        ],
      }),
    );
    expect(
      decide(policy, { kind: 'lobby', participant: { role: 'leader', uri: 'sip:troll@x.example' } }).rule,
    ).toBe('ignore-leaders');
    expect(decide(policy, { kind: 'lobby', participant: { uri: 'sip:TROLL@x.example' } }).action).toBe(
      'eject',
    );
    expect(
      decide(policy, { kind: 'invitation', modality: 'audioVideo', sender: { sourceNetwork: 'PublicCloud' } })
        .action,
    ).toBe('decline');
    expect(
      decide(policy, { kind: 'invitation', modality: 'messaging', sender: { sourceNetwork: 'PublicCloud' } })
        .action,
    ).toBe('summarize');
    expect(decide(policy, { kind: 'invitation', modality: 'onlineMeeting', sender: colleague }).action).toBe(
      'accept',
    );
  });
});

describe('parsePolicy', () => {
  it.each([
    ['{', ''],
    [JSON.stringify({ rules: [{ name: 'x', on: 'invitation', action: 'eject' }] }), 'rules.0.action'],
    [JSON.stringify({ rules: [{ name: 'x', action: 'decline' }] }), 'rules.0.action'],
    [
      JSON.stringify({ rules: [{ name: 'x', on: 'lobby', when: { anonymus: true }, action: 'eject' }] }),
      'rules.0.when',
    ],
    [JSON.stringify({ rules: [], extra: 1 }), ''],
  ])('rejects %s naming %s', (json, path) => {
    expect(() => parsePolicy(json)).toThrow(PolicyError);
    try {
      parsePolicy(json);
    } catch (error) {
      expect((error as PolicyError).path).toBe(path);
    }
  });
  it('extracts domains from SIP URIs', () => {
    expect(domainOfUri('sip:Alice@Contoso.com;gruu')).toBe('contoso.com');
    expect(domainOfUri('anonymous')).toBeUndefined();
  });
});
