import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  type AdaptiveCard,
  type CardElement,
  IM_MAX,
  type Notice,
  noticeReference,
  renderInstantMessage,
  renderSlack,
  renderTeams,
  renderTeamsCard,
  renderWebhook,
  type SlackMessage,
  WITHHELD_NOTE,
} from '../../shared/chat/index.js';
import {
  alertNotice,
  allStrings,
  digestNotice,
  HOSTILE_NAME,
  invitationNotice,
  lobbyNotice,
  RTL_NAME,
} from './notices.js';

/** Controls other than the line feeds renderers put between lines, and bidi overrides and isolates. */
function hasHidden(text: string): boolean {
  return Array.from(text).some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return (
      (code < 0x20 && code !== 0x0a) ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    );
  });
}

function cardElements(elements: CardElement[]): CardElement[] {
  return elements.flatMap((element) =>
    element.type === 'Container' ? [element, ...cardElements(element.items)] : [element],
  );
}

function factsOf(elements: CardElement[]): Map<string, string> {
  return new Map(
    cardElements(elements)
      .flatMap((element) => (element.type === 'FactSet' ? element.facts : []))
      .map((fact) => [fact.title, fact.value]),
  );
}

/** The facts shown on the card. */
const facts = (card: AdaptiveCard) => factsOf(card.body);
/** The facts behind "Details". */
const details = (card: AdaptiveCard) => factsOf(card.actions?.[0]?.card.body ?? []);

function textBlocks(card: AdaptiveCard): string[] {
  return cardElements(card.body).flatMap((element) => (element.type === 'TextBlock' ? [element.text] : []));
}

function slackFields(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === 'section' ? (block.fields ?? []).map((field) => field.text) : [],
  );
}

/** Markdown characters not preceded by a backslash. */
const UNESCAPED_CARD_MARKUP = /(?<!\\)[*_[\]()`#<>]/;

describe('Teams (Workflows webhook)', () => {
  it('wraps one Adaptive Card 1.4 in a message with the documented attachment shape', () => {
    const message = renderTeams(invitationNotice());
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    const [attachment] = message.attachments;
    expect(attachment.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
    expect(attachment.contentUrl).toBeNull();
    expect(attachment.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(attachment.content.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  });

  it('leads with the decision, shows the facts that explain it and folds the rest, phone numbers masked', () => {
    const card = renderTeamsCard(invitationNotice());
    expect(textBlocks(card)[0]).toBe('Instant message: Alice Smith');
    expect(Object.fromEntries(facts(card))).toEqual({
      Subject: 'Quarterly numbers',
      Address: 'sip:alice@fabrikam.com',
      Network: 'Federation',
      Rule: 'default \\(federated sender\\)',
    });
    expect(Object.fromEntries(details(card))).toEqual({
      Anonymous: 'no',
      Role: 'attendee',
      'Is organizer': 'no',
      'Work phone': 'tel:+1425•••1111',
      'Other phone': 'tel:+1425•••3333',
      Importance: 'Normal',
      Decision: 'Report',
      Outcome: 'Done',
      Mode: 'Enforce',
    });
    expect(card.actions?.[0]).toMatchObject({ type: 'Action.ShowCard', title: 'Details' });
    expect(textBlocks(card)).toContain('First message');
    expect(textBlocks(card)).toContain('Hi, can we talk?');
    expect(textBlocks(card).at(-1)).toMatch(/^Ref [0-9a-f]{10} · 2025-01-02 03:04 UTC$/);
    expect(JSON.stringify(card)).not.toContain('DRY-RUN');
    expect(JSON.stringify(card)).not.toContain('inv-1');
  });

  it('shows phone numbers in full only when asked', () => {
    const f = details(renderTeamsCard(invitationNotice(), { showPhoneNumbers: true }));
    expect(f.get('Work phone')).toBe('tel:+14251111111');
  });

  it('names the meeting, never its href, and marks dry runs visibly', () => {
    const card = renderTeamsCard(lobbyNotice());
    expect(card.body[0]).toMatchObject({
      type: 'TextBlock',
      color: 'Warning',
      text: expect.stringContaining('DRY-RUN'),
    });
    expect(card.body[1]).toMatchObject({
      type: 'Container',
      style: 'attention',
      items: [{ type: 'TextBlock', color: 'Attention', text: 'Would remove from the lobby: Guest 42' }],
    });
    const f = facts(card);
    expect(f.get('Meeting')).toBe('Board meeting');
    expect(f.get('Organizer')).toBe('Olga Owner');
    expect(f.get('Anonymous')).toBe('yes');
    expect(f.get('Result')).toBe('eject link present');
    expect(details(card).get('Meeting address')).toBe(
      'sip:owner@contoso.com;gruu;opaque=app:conf:focus:id:ABC123',
    );
    expect(details(card).get('Outcome')).toBe('Would have acted \\(dry-run\\): eject link present');
    const stored = lobbyNotice({
      meeting: { uri: 'https://pool.example/ucwa/v1/applications/1/communication/conversations/2' },
    });
    expect(JSON.stringify(renderTeamsCard(stored))).not.toContain('conversations');
  });

  it('emphasises removals, would-be removals and failures; a report stays plain', () => {
    const tone = (notice: Notice) =>
      (renderTeamsCard(notice).body.find((e) => e.type === 'Container') as { style?: string }).style;
    expect(tone(lobbyNotice({ mode: 'enforce', outcome: { status: 'done' } }))).toBe('attention');
    expect(tone(lobbyNotice())).toBe('attention');
    expect(tone(lobbyNotice({ outcome: { status: 'failed', detail: 'boom' } }))).toBe('attention');
    expect(tone(lobbyNotice({ outcome: { status: 'already-left' } }))).toBe('emphasis');
    expect(tone(invitationNotice())).toBe('emphasis');
    expect(tone(invitationNotice({ decision: { action: 'accept', rule: 'r', reason: 'x' } }))).toBe('good');
  });

  it('says when the policy kept the first message private, and shows nothing of it', () => {
    const card = renderTeamsCard(
      invitationNotice({ invitation: { modality: 'messaging', firstMessageWithheld: true } }),
    );
    expect(textBlocks(card)).toContain(WITHHELD_NOTE);
    expect(textBlocks(card)).not.toContain('First message');
  });

  it('gives digests and alerts compact layouts', () => {
    const digest = renderTeamsCard(digestNotice());
    expect(textBlocks(digest)[0]).toBe('Gatekeeper digest: 2025-01-02 00:00 – 2025-01-03 00:00 UTC');
    expect(Object.fromEntries(facts(digest))).toEqual({
      Invitations: '12',
      'Anonymous knocks': '3',
      Removals: '2',
      Failures: '1',
    });
    expect(details(digest).get('From Federation')).toBe('4');

    const alert = renderTeamsCard(alertNotice());
    expect(alert.body[0]).toMatchObject({
      type: 'Container',
      style: 'attention',
      items: [{ type: 'TextBlock', color: 'Attention', text: 'Gatekeeper alert: Event channel lost' }],
    });
    expect(textBlocks(alert)).toContain('The UCWA application was recreated after 3 failures.');
    expect(alert.actions).toBeUndefined();
  });

  it('renders a hostile name and a right-to-left override inert', () => {
    const notice = invitationNotice({
      sender: { name: HOSTILE_NAME, uri: 'sip:x@evil.example' },
      invitation: {
        modality: 'messaging',
        subject: RTL_NAME,
        firstMessage: '- [a](javascript:alert(1))\n# hi',
      },
    });
    const card = renderTeamsCard(notice);
    const strings = allStrings(card);
    for (const text of strings) expect(hasHidden(text)).toBe(false);
    const heading = textBlocks(card)[0] ?? '';
    const name = heading.replace('Instant message: ', '');
    expect(name).not.toMatch(UNESCAPED_CARD_MARKUP);
    expect(name).not.toContain('https://');
    expect(name).not.toContain('evil.example');
    const message = textBlocks(card).find((text) => text.includes('javascript')) ?? '';
    expect(message).not.toMatch(UNESCAPED_CARD_MARKUP);
    expect(message.startsWith('\\-')).toBe(true);
    expect(facts(card).get('Subject')).toBe('invoice\ufffdgnp\\[.\\]exe');
  });
});

describe('Slack (incoming webhook, Block Kit)', () => {
  it('has a text fallback, a header with the decision, fields, folded details and a reference', () => {
    const message = renderSlack(invitationNotice());
    expect(message.text).toBe('Instant message: Alice Smith');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Instant message: Alice Smith', emoji: false },
    });
    const fields = slackFields(message);
    expect(fields).toContain('*Address*\nsip:alice@fabrikam.com');
    expect(fields).toContain('*Rule*\ndefault (federated sender)');
    for (const block of message.blocks) {
      if (block.type === 'section') expect((block.fields ?? []).length).toBeLessThanOrEqual(10);
      if (block.type === 'context') expect(block.elements.length).toBeLessThanOrEqual(10);
    }
    const context = message.blocks.flatMap((block) => (block.type === 'context' ? block.elements : []));
    expect(context.map((element) => element.text)).toContain('*Work phone* tel:+1425•••1111');
    expect(message.blocks.at(-1)).toMatchObject({
      type: 'context',
      elements: [{ text: expect.stringMatching(/^Ref [0-9a-f]{10} · 2025-01-02 03:04 UTC$/) }],
    });
    expect(
      message.blocks.some(
        (block) => block.type === 'section' && block.text?.text.includes('Hi, can we talk?'),
      ),
    ).toBe(true);
  });

  it('marks dry runs in the fallback text and with a warning, and the tone in the header', () => {
    const message = renderSlack(lobbyNotice());
    expect(message.text.startsWith('[DRY-RUN] Would remove from the lobby')).toBe(true);
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringMatching(/^🔴 /) },
    });
    expect(message.blocks[1]).toMatchObject({
      type: 'context',
      elements: [{ text: expect.stringContaining('DRY-RUN') }],
    });
  });

  it('renders digests and alerts', () => {
    expect(slackFields(renderSlack(digestNotice()))).toContain('*Anonymous knocks*\n3');
    const alert = renderSlack(alertNotice());
    expect(alert.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: '🔴 Gatekeeper alert: Event channel lost' },
    });
  });

  it('renders a hostile name inert: no mention, link or formatting survives', () => {
    const message = renderSlack(
      invitationNotice({
        sender: { name: HOSTILE_NAME },
        invitation: { modality: 'messaging', subject: RTL_NAME },
      }),
    );
    const strings = allStrings(message);
    for (const text of strings) {
      expect(hasHidden(text)).toBe(false);
      expect(text).not.toMatch(/[<>]/);
      expect(text).not.toContain('https://');
      expect(text).not.toMatch(/@here/);
      expect(text).not.toContain('*bold*');
    }
    expect(message.text).toContain('&lt;!channel&gt;');
  });

  it('keeps Block Kit limits for long values', () => {
    const message = renderSlack(
      invitationNotice({
        sender: { name: '&'.repeat(500) },
        invitation: { modality: 'messaging', firstMessage: '<'.repeat(5000) },
      }),
    );
    const header = message.blocks[0];
    expect(header?.type === 'header' && Array.from(header.text.text).length <= 150).toBe(true);
    for (const text of allStrings(message.blocks)) expect(Array.from(text).length).toBeLessThanOrEqual(2000);
    expect(message.text).not.toMatch(/&am…|&l…/);
  });
});

describe('generic JSON webhook', () => {
  it('is the cleaned, masked notice plus schemaVersion 2 and the reference the chat formats show', () => {
    const payload = renderWebhook(
      invitationNotice({ sender: { name: RTL_NAME, workPhoneNumber: 'tel:+14251111111' } }),
    );
    expect(payload).toMatchObject({
      schemaVersion: 2,
      ref: noticeReference('inv-1'),
      id: 'inv-1',
      kind: 'invitation',
      mode: 'enforce',
      sender: { name: 'invoice\ufffdgnp.exe', workPhoneNumber: 'tel:+1425•••1111' },
      decision: { action: 'summarize', rule: 'default', reason: 'federated sender' },
    });
    const digest = renderWebhook(digestNotice());
    expect(digest.kind === 'digest' && digest.digest.bySourceNetwork).toEqual({
      Enterprise: 7,
      Federation: 4,
      Anonymous: 1,
    });
  });
});

describe('UCWA instant message', () => {
  it('is a short plain-text summary: headline, the facts shown on the cards, the reference', () => {
    const text = renderInstantMessage(lobbyNotice());
    expect(text.split('\n')).toEqual([
      '[DRY-RUN] Would remove from the lobby: Guest 42',
      'Meeting: Board meeting',
      'Organizer: Olga Owner',
      'Address: sip:guest42@anon.contoso.com',
      'Anonymous: yes',
      'Rule: anonymous-lobby (anonymous guests are not admitted)',
      'Result: eject link present',
      `Ref ${noticeReference('lobby-1')} · 2025-01-02 03:04 UTC`,
    ]);
  });

  it('keeps within IM_MAX and never cuts the reference', () => {
    const text = renderInstantMessage(
      invitationNotice({ invitation: { modality: 'messaging', firstMessage: 'x '.repeat(2000) } }),
    );
    expect(text.length).toBeLessThanOrEqual(IM_MAX);
    expect(text.split('\n').at(-1)).toBe(`Ref ${noticeReference('inv-1')} · 2025-01-02 03:04 UTC`);
  });

  it('lets no sender forge a line or hide characters', () => {
    const text = renderInstantMessage(
      invitationNotice({
        sender: { name: `Bob\r\nDecision: Accept\u202E` },
        invitation: { modality: 'messaging', firstMessage: 'a\nb\u0007' },
      }),
    );
    expect(text.split('\n')[0]).toBe('Instant message: Bob Decision: Accept\ufffd');
    expect(hasHidden(text)).toBe(false);
    expect(text).toContain('First message: a b');
  });

  it('defangs links, which IM clients would autolink', () => {
    const text = renderInstantMessage(invitationNotice({ sender: { name: HOSTILE_NAME } }));
    expect(text).not.toContain('https://');
    expect(text).toContain('https[:]//evil[.]example/x');
  });

  it('summarises digests', () => {
    const text = renderInstantMessage(digestNotice());
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        'Gatekeeper digest: 2025-01-02 00:00 – 2025-01-03 00:00 UTC',
        'Invitations: 12',
      ]),
    );
  });
});

describe('a deployment guarding several accounts', () => {
  it('names the account first in every format, for every kind of notice', () => {
    for (const notice of [
      lobbyNotice({ account: 'townhall' }),
      invitationNotice({ account: 'townhall' }),
      digestNotice({ account: 'townhall' }),
      alertNotice({ account: 'townhall' }),
    ] as Notice[]) {
      const strings = [
        ...allStrings(renderTeams(notice)),
        ...allStrings(renderSlack(notice)),
        renderInstantMessage(notice),
      ];
      expect(
        strings.some((text) => /Account\W+townhall/.test(text)),
        notice.kind,
      ).toBe(true);
      expect(renderWebhook(notice).account).toBe('townhall');
    }
    // One account, as before: no account line anywhere.
    expect(JSON.stringify(renderTeams(lobbyNotice()))).not.toContain('Account');
  });

  it('an account that is not text (an older stored notice, a hostile edit) is left out', () => {
    const notice = { ...lobbyNotice(), account: { '@': 'x' } } as unknown as Notice;
    expect(renderWebhook(notice).account).toBeUndefined();
  });
});
