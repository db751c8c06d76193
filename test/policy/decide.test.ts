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
  it.each([
    ['allow-listed URI', { ...anonymousGuest, uri: 'sip:vip@partner.example' }, 'allow-list'],
    ['allow-listed subdomain', { ...anonymousGuest, uri: 'sip:x@eu.trusted.example' }, 'allow-list'],
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
