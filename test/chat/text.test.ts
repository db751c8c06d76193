import { describe, expect, it } from 'vitest';
import {
  cap,
  cleanNotice,
  cleanText,
  defang,
  escapeCardMarkdown,
  escapeSlack,
  HIDDEN_MARKER,
  maskName,
  maskPhoneNumber,
  maskUri,
  TEXT_CAPS,
} from '../../shared/chat/index.js';
import { invitationNotice, RTL_NAME } from './notices.js';

const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

describe('cleanText', () => {
  it('removes bidi overrides and isolates, controls and invisible separators, marking where', () => {
    expect(cleanText(RTL_NAME, 100)).toBe(`invoice${HIDDEN_MARKER}gnp.exe`);
    expect(cleanText('a\u2066b\u2069c\u200bd\u0000e\u0007f\u009bg\ufeffh', 100)).toBe(
      'a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\ufffdh',
    );
    expect(BIDI.test(cleanText('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069x', 10))).toBe(false);
  });

  // Fillers and default-ignorable characters a hand-made list missed: each would pad or disguise a name.
  it.each([
    ['HANGUL FILLER', '\u3164'],
    ['HANGUL CHOSEONG FILLER', '\u115f'],
    ['HANGUL JUNGSEONG FILLER', '\u1160'],
    ['HALFWIDTH HANGUL FILLER', '\uffa0'],
    ['BRAILLE PATTERN BLANK', '\u2800'],
    ['SOFT HYPHEN', '\u00ad'],
    ['COMBINING GRAPHEME JOINER', '\u034f'],
    ['MONGOLIAN VOWEL SEPARATOR', '\u180e'],
    ['a tag character', '\u{E0041}'],
    ['a variation selector', '\ufe0f'],
    ['ZERO WIDTH JOINER between Latin letters', '\u200d'],
    ['ZERO WIDTH NON-JOINER between Latin letters', '\u200c'],
    ['KHMER VOWEL INHERENT AQ', '\u17b4'],
    ['a musical formatting character', '\u{1D173}'],
    ['a lone surrogate', '\ud800'],
    ['a noncharacter', '\ufffe'],
  ])('%s is removed, and the name shows where', (_label, hidden) => {
    expect(cleanText(`Al${hidden}${hidden}ice`, 100)).toBe(`Al${HIDDEN_MARKER}ice`);
    expect(cleanText(`Alice${hidden.repeat(40)}`, 100)).toBe(`Alice${HIDDEN_MARKER}`);
    expect(cleanText(hidden.repeat(3), 100)).toBe(HIDDEN_MARKER);
  });

  it('leaves visible text alone: emoji sequences, flags, keycaps, and joiners scripts need', () => {
    for (const text of ['👩‍💻 Zoë', '🏴󠁧󠁢󠁳󠁣󠁴󠁿 ❤️ #️⃣ 👍🏽', 'می\u200cخواهم', 'क्\u200dष', '山田 Ωμέγα Жанна'])
      expect(cleanText(text, 100)).toBe(text);
  });

  it('does bounded work on a huge input', () => {
    const cleaned = cleanText(`${'\u3164'.repeat(2_000_000)}x`, TEXT_CAPS.name);
    expect(cleaned).toBe(`${HIDDEN_MARKER}…`);
  });

  it('puts everything on one line', () => {
    expect(cleanText('Alice\r\nDecision: accept\u2028\u2029\tx', 100)).toBe('Alice Decision: accept x');
    expect(cleanText('  lots   of\n\n space ', 100)).toBe('lots of space');
  });

  it('keeps emoji joiners and non-Latin text', () => {
    expect(cleanText('👩‍💻 Zoë 山田', 100)).toBe('👩‍💻 Zoë 山田');
  });

  it('caps by code points with an ellipsis and never splits a surrogate pair', () => {
    expect(cleanText('x'.repeat(300), TEXT_CAPS.name)).toBe(`${'x'.repeat(99)}…`);
    expect(Array.from(cap('😀'.repeat(10), 5))).toEqual(['😀', '😀', '😀', '😀', '…']);
    expect(cap('short', 5)).toBe('short');
  });
});

describe('cleanNotice caps every sender-controlled field', () => {
  it('name 100, subject 200, message 500', () => {
    const notice = cleanNotice(
      invitationNotice({
        sender: { name: 'n'.repeat(1000), uri: 'sip:x@y.z' },
        invitation: { modality: 'messaging', subject: 's'.repeat(1000), firstMessage: 'm'.repeat(5000) },
      }),
    );
    expect(Array.from(notice.sender?.name ?? '')).toHaveLength(100);
    expect(notice.sender?.name?.endsWith('…')).toBe(true);
    expect(Array.from(notice.invitation?.subject ?? '')).toHaveLength(200);
    expect(Array.from(notice.invitation?.firstMessage ?? '')).toHaveLength(500);
  });
});

describe('phone masking', () => {
  it('masks tel: URIs, keeping country and area code and the last four digits', () => {
    expect(maskPhoneNumber('tel:+14251111111')).toBe('tel:+1425•••1111');
    expect(maskPhoneNumber('tel:+14252223333;ext=12')).toBe('tel:+1425•••3333');
    expect(maskPhoneNumber('+44 20 7946 0958')).toBe('+4420•••0958');
    expect(maskPhoneNumber('555-1234')).toBe('•••34');
    expect(maskPhoneNumber('tel:12')).toBe('tel:•••');
  });

  it('masks phone-number URIs and names, and leaves others alone', () => {
    expect(maskUri('tel:+14251111111')).toBe('tel:+1425•••1111');
    expect(maskUri('sip:+14251111111@contoso.com;user=phone')).toBe(
      'sip:+1425•••1111@contoso.com;user=phone',
    );
    expect(maskUri('sip:alice@contoso.com')).toBe('sip:alice@contoso.com');
    expect(maskName('+1 (425) 111-1111')).toBe('+1425•••1111');
    expect(maskName('Alice 2')).toBe('Alice 2');
  });

  it('applies to notices unless showPhoneNumbers is set', () => {
    const notice = invitationNotice({
      sender: { uri: 'tel:+14259998888', workPhoneNumber: 'tel:+14251111111' },
    });
    expect(cleanNotice(notice).sender).toMatchObject({
      uri: 'tel:+1425•••8888',
      workPhoneNumber: 'tel:+1425•••1111',
    });
    expect(cleanNotice(notice, { showPhoneNumbers: true }).sender).toMatchObject({
      uri: 'tel:+14259998888',
      workPhoneNumber: 'tel:+14251111111',
    });
  });
});

describe('escaping', () => {
  it('defangs links: schemes, www and bare domains in free text', () => {
    expect(defang('see https://evil.example/x and www.evil.example')).toBe(
      'see https[:]//evil[.]example/x and www[.]evil[.]example',
    );
    expect(defang('sip:alice@contoso.com', 'uri')).toBe('sip:alice@contoso.com');
    expect(defang('http://x.example', 'uri')).toBe('http[:]//x.example');
  });

  it('Slack: entities for & < >, no usable mention, link or formatting', () => {
    const out = escapeSlack('<!channel> <@U123> <https://evil.example|click> & *bold* _it_ ~s~ `c` @here');
    expect(out).not.toMatch(/[<>]/);
    expect(out).toContain('&lt;!channel&gt;');
    expect(out).toContain('&lt;@U123&gt;');
    expect(out).toContain('&amp;');
    expect(out).not.toContain('*bold*');
    expect(out).not.toContain('_it_');
    expect(out).not.toContain('`c`');
    expect(out).not.toMatch(/@here/);
    expect(out).not.toContain('https://');
    expect(escapeSlack('sip:john_doe@contoso.com', 'uri')).toBe('sip:john_doe@contoso.com');
    expect(escapeSlack('> quote').startsWith('\u200b&gt;')).toBe(true);
  });

  it('Adaptive Card markdown: backslash before markup, list markers, card functions', () => {
    expect(escapeCardMarkdown('*b* _i_ [l](u) `c` # h <at>x</at>')).toBe(
      '\\*b\\* \\_i\\_ \\[l\\]\\(u\\) \\`c\\` \\# h \\<at\\>x\\</at\\>',
    );
    expect(escapeCardMarkdown('- item')).toBe('\\- item');
    expect(escapeCardMarkdown('1. item')).toBe('1\\. item');
    expect(escapeCardMarkdown('a - b')).toBe('a - b');
    expect(escapeCardMarkdown('{{DATE(2017-02-14T06:08:39Z, SHORT)}}')).not.toContain('{{');
    expect(escapeCardMarkdown('https://evil.example')).toBe('https\\[:\\]//evil\\[.\\]example');
  });
});
