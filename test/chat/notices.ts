import type { AlertNotice, DigestNotice, InvitationNotice, LobbyNotice } from '../../shared/chat/notice.js';

/** A name that tries every trick: a Slack broadcast, a mention, a markdown link, a Teams mention, bold. */
export const HOSTILE_NAME = '<!channel> @here [click](https://evil.example/x) <at>x</at> *bold*';
/** Right-to-left override: renders as `exe.png` reversed into something harmless-looking. */
export const RTL_NAME = 'invoice\u202Egnp.exe';

export function invitationNotice(overrides: Partial<InvitationNotice> = {}): InvitationNotice {
  return {
    id: 'inv-1',
    kind: 'invitation',
    at: '2025-01-02T03:04:05.000Z',
    mode: 'enforce',
    sender: {
      name: 'Alice Smith',
      uri: 'sip:alice@fabrikam.com',
      domain: 'fabrikam.com',
      anonymous: false,
      inLobby: false,
      organizer: false,
      role: 'attendee',
      sourceNetwork: 'Federation',
      workPhoneNumber: 'tel:+14251111111',
      otherPhoneNumber: 'tel:+14252223333;ext=12',
    },
    invitation: {
      modality: 'messaging',
      subject: 'Quarterly numbers',
      importance: 'Normal',
      firstMessage: 'Hi, can we talk?',
    },
    decision: { action: 'summarize', rule: 'default', reason: 'federated sender' },
    outcome: { status: 'done' },
    ...overrides,
  };
}

export function lobbyNotice(overrides: Partial<LobbyNotice> = {}): LobbyNotice {
  return {
    id: 'lobby-1',
    kind: 'lobby',
    at: '2025-01-02T03:04:05.000Z',
    mode: 'dry-run',
    sender: {
      name: 'Guest 42',
      uri: 'sip:guest42@anon.contoso.com',
      anonymous: true,
      inLobby: true,
      role: 'attendee',
    },
    meeting: {
      subject: 'Board meeting',
      organizerName: 'Olga Owner',
      organizerUri: 'sip:owner@contoso.com',
      uri: 'sip:owner@contoso.com;gruu;opaque=app:conf:focus:id:ABC123',
    },
    decision: { action: 'eject', rule: 'anonymous-lobby', reason: 'anonymous guests are not admitted' },
    outcome: { status: 'would-do', detail: 'eject link present' },
    ...overrides,
  };
}

export function digestNotice(overrides: Partial<DigestNotice> = {}): DigestNotice {
  return {
    id: 'digest-2025-01-02',
    kind: 'digest',
    at: '2025-01-03T00:00:00.000Z',
    mode: 'enforce',
    digest: {
      periodStart: '2025-01-02T00:00:00.000Z',
      periodEnd: '2025-01-03T00:00:00.000Z',
      invitations: 12,
      bySourceNetwork: { Enterprise: 7, Federation: 4, Anonymous: 1 },
      anonymousKnocks: 3,
      ejections: 2,
      failures: 1,
    },
    ...overrides,
  };
}

export function alertNotice(overrides: Partial<AlertNotice> = {}): AlertNotice {
  return {
    id: 'alert-1',
    kind: 'alert',
    at: '2025-01-02T03:04:05.000Z',
    mode: 'enforce',
    alert: { title: 'Event channel lost', detail: 'The UCWA application was recreated after 3 failures.' },
    ...overrides,
  };
}

/** Every string anywhere inside a JSON value. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}
