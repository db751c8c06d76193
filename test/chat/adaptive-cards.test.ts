import * as AC from 'adaptivecards';
import { describe, expect, it } from 'vitest';
import { CARD_SAMPLE_NAMES, CARD_SAMPLES } from '../../dev/cards/samples.js';
import { type AdaptiveCard, type Notice, renderTeamsCard } from '../../shared/chat/index.js';
import { HOSTILE_NAME, invitationNotice, RTL_NAME } from './notices.js';

/**
 * Every card kind through Microsoft's own Adaptive Cards library: parsing and validation report no event,
 * and serialising the parsed card gives back what was sent, so no property was unknown or out of range
 * (the parser drops those quietly). Teams' own `msteams` extension is the one property it does not know.
 */
function check(card: AdaptiveCard): { events: string[]; roundTrip: unknown } {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(card, context);
  const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
  for (const event of parsed.validateProperties().validationEvents) events.push(event.message);
  return { events, roundTrip: parsed.toJSON() };
}

const hostile: Notice = invitationNotice({
  sender: { name: HOSTILE_NAME, uri: 'sip:x@evil.example' },
  invitation: { modality: 'messaging', subject: RTL_NAME, firstMessage: '- [a](javascript:alert(1))\n# hi' },
});

describe('Teams cards in the adaptivecards library', () => {
  it.each([
    ...CARD_SAMPLE_NAMES.map((name) => [name, CARD_SAMPLES[name]] as const),
    ['hostile', hostile] as const,
  ])('%s parses and validates without an event, and survives a round trip', (_name, notice) => {
    const card = renderTeamsCard(notice);
    const { events, roundTrip } = check(card);
    expect(events).toEqual([]);
    const { msteams: _teams, ...portable } = card;
    expect(roundTrip).toEqual(portable);
  });

  it('notices what it is meant to catch: an unknown element, an out-of-range value, a misspelt property', () => {
    const card = renderTeamsCard(CARD_SAMPLES['lobby-removed']);
    const { msteams: _teams, ...portable } = card;
    const withBody = (...extra: unknown[]) =>
      ({ ...portable, body: [...card.body, ...extra] }) as AdaptiveCard;
    expect(check(withBody({ type: 'Bogus' })).events.join()).toMatch(/Unknown element type "Bogus"/);
    expect(
      check(withBody({ type: 'TextBlock', text: 'x', wrap: true, color: 'Purple' })).events.join(),
    ).toMatch(/Invalid value "Purple"/);
    const misspelt = withBody({ type: 'TextBlock', text: 'x', wrap: true, colour: 'Good' });
    expect(check(misspelt).events).toEqual([]);
    expect(check(misspelt).roundTrip).not.toEqual(misspelt);
  });
});
