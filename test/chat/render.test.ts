import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  type AdaptiveCard,
  type CardElement,
  IM_MAX,
  renderInstantMessage,
  renderSlack,
  renderTeams,
  renderTeamsCard,
  renderWebhook,
  type SlackMessage,
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

function facts(card: AdaptiveCard): Map<string, string> {
  return new Map(
    cardElements(card.body)
      .flatMap((element) => (element.type === 'FactSet' ? element.facts : []))
      .map((fact) => [fact.title, fact.value]),
  );
}

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

  it('shows every fact of an invitation, phone numbers masked', () => {
    const card = renderTeamsCard(invitationNotice());
    const f = facts(card);
    expect(Object.fromEntries(f)).toMatchObject({
      Sender: 'Alice Smith',
      URI: 'sip:alice@fabrikam.com',
      'Source network': 'Federation',
      Anonymous: 'no',
      'In lobby': 'no',
      Role: 'attendee',
      Organizer: 'no',
      'Work phone': 'tel:+1425•••1111',
      'Other phone': 'tel:+1425•••3333',
      Subject: 'Quarterly numbers',
      Importance: 'Normal',
      Decision: 'Summarize',
      Rule: 'default',
      Reason: 'federated sender',
      Mode: 'Enforce',
      Outcome: 'Done',
    });
    expect(textBlocks(card)).toContain('First message');
    expect(textBlocks(card)).toContain('Hi, can we talk?');
    expect(textBlocks(card)[0]).toBe('Incoming messaging invitation: Alice Smith');
    expect(JSON.stringify(card)).not.toContain('DRY-RUN');
  });

  it('shows phone numbers in full only when asked', () => {
    const f = facts(renderTeamsCard(invitationNotice(), { showPhoneNumbers: true }));
    expect(f.get('Work phone')).toBe('tel:+14251111111');
  });

  it('marks dry runs visibly and shows the meeting, decision and outcome of a lobby guest', () => {
    const card = renderTeamsCard(lobbyNotice());
    const [first] = card.body;
    expect(first).toMatchObject({
      type: 'TextBlock',
      color: 'Warning',
      text: expect.stringContaining('DRY-RUN'),
    });
    expect(card.body[1]).toMatchObject({ type: 'TextBlock', color: 'Attention' });
    const f = facts(card);
    expect(f.get('Anonymous')).toBe('yes');
    expect(f.get('In lobby')).toBe('yes');
    expect(f.get('Meeting')).toBe('Board meeting');
    expect(f.get('Meeting URI')).toContain('sip:owner@contoso.com;gruu;opaque=app:conf:focus:id:ABC123');
    expect(f.get('Decision')).toBe('Eject');
    expect(f.get('Rule')).toBe('anonymous-lobby');
    expect(f.get('Mode')).toContain('DRY-RUN');
    // Escaped for card markdown; Teams shows the parentheses.
    expect(f.get('Outcome')).toBe('Would have acted \\(dry-run\\): eject link present');
  });

  it('gives digests and alerts compact layouts', () => {
    const digest = renderTeamsCard(digestNotice());
    expect(textBlocks(digest)[0]).toBe('Gatekeeper digest');
    expect(Object.fromEntries(facts(digest))).toMatchObject({
      Invitations: '12',
      'Anonymous knocks': '3',
      Ejections: '2',
      Failures: '1',
      'From Federation': '4',
    });
    expect(facts(digest).has('Sender')).toBe(false);

    const alert = renderTeamsCard(alertNotice());
    expect(alert.body[0]).toMatchObject({
      type: 'TextBlock',
      color: 'Attention',
      text: 'Gatekeeper alert: Event channel lost',
    });
    expect(textBlocks(alert)).toContain('The UCWA application was recreated after 3 failures.');
    expect([...facts(alert).keys()]).toEqual(['Mode']);
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
    const sender = facts(card).get('Sender') ?? '';
    expect(sender).not.toMatch(UNESCAPED_CARD_MARKUP);
    expect(sender).not.toContain('https://');
    expect(sender).not.toContain('evil.example');
    const heading = textBlocks(card)[0] ?? '';
    expect(heading.replace('Incoming messaging invitation: ', '')).not.toMatch(UNESCAPED_CARD_MARKUP);
    const message = textBlocks(card).find((text) => text.includes('javascript')) ?? '';
    expect(message).not.toMatch(UNESCAPED_CARD_MARKUP);
    expect(message.startsWith('\\-')).toBe(true);
    expect(facts(card).get('Subject')).toBe('invoice\ufffdgnp\\[.\\]exe');
  });
});

describe('Slack (incoming webhook, Block Kit)', () => {
  it('has a text fallback, a header, fields and a context footer', () => {
    const message = renderSlack(invitationNotice());
    expect(message.text).toContain('Incoming messaging invitation: Alice Smith');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Incoming messaging invitation: Alice Smith', emoji: false },
    });
    const fields = slackFields(message);
    expect(fields).toContain('*Sender*\nAlice Smith');
    expect(fields).toContain('*Work phone*\ntel:+1425•••1111');
    expect(fields).toContain('*Decision*\nSummarize');
    for (const block of message.blocks) {
      if (block.type === 'section') expect((block.fields ?? []).length).toBeLessThanOrEqual(10);
    }
    expect(message.blocks.at(-1)).toMatchObject({ type: 'context' });
    expect(
      message.blocks.some(
        (block) => block.type === 'section' && block.text?.text.includes('Hi, can we talk?'),
      ),
    ).toBe(true);
  });

  it('marks dry runs in the fallback text and with a warning', () => {
    const message = renderSlack(lobbyNotice());
    expect(message.text.startsWith('[DRY-RUN]')).toBe(true);
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
      text: { text: 'Gatekeeper alert: Event channel lost' },
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
  it('is the cleaned, masked notice plus schemaVersion', () => {
    const payload = renderWebhook(
      invitationNotice({ sender: { name: RTL_NAME, workPhoneNumber: 'tel:+14251111111' } }),
    );
    expect(payload).toMatchObject({
      schemaVersion: 1,
      id: 'inv-1',
      kind: 'invitation',
      mode: 'enforce',
      sender: { name: 'invoice\ufffdgnp.exe', workPhoneNumber: 'tel:+1425•••1111' },
      decision: { action: 'summarize', rule: 'default', reason: 'federated sender' },
    });
    expect(renderWebhook(digestNotice()).digest?.bySourceNetwork).toEqual({
      Enterprise: 7,
      Federation: 4,
      Anonymous: 1,
    });
  });
});

describe('UCWA instant message', () => {
  it('is a short plain-text summary', () => {
    const text = renderInstantMessage(lobbyNotice());
    const lines = text.split('\n');
    expect(lines[0]).toBe('[DRY-RUN] Lobby guest: Guest 42');
    expect(lines).toContain('Flags: anonymous, in lobby');
    expect(lines).toContain('Decision: Eject');
    expect(lines).toContain('Rule: anonymous-lobby');
    expect(lines).toContain('Outcome: Would have acted (dry-run): eject link present');
    expect(text.length).toBeLessThanOrEqual(IM_MAX);
  });

  it('lets no sender forge a line or hide characters', () => {
    const text = renderInstantMessage(
      invitationNotice({
        sender: { name: `Bob\r\nDecision: Accept\u202E` },
        invitation: { modality: 'messaging', firstMessage: 'a\nb\u0007' },
      }),
    );
    expect(text.split('\n')[0]).toBe('Incoming messaging invitation: Bob Decision: Accept\ufffd');
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
      expect.arrayContaining(['Gatekeeper digest', 'Invitations: 12', 'From Enterprise: 7']),
    );
  });
});
