import { describe, expect, it } from 'vitest';
import { CARD_SAMPLE_NAMES, CARD_SAMPLES } from '../../dev/cards/samples.js';
import {
  type CardElement,
  defang,
  escapeCardMarkdown,
  escapeSlack,
  noticeView,
  renderInstantMessage,
  renderSlack,
  renderTeams,
  renderTeamsCard,
  webhookRequest,
} from '../../shared/chat/index.js';

/**
 * Golden files: every card kind in every format, as committed under test/chat/golden/. A change to what a
 * reader sees shows up as a diff there; `npx vitest run test/chat/golden.test.ts -u` accepts it (`-u` before the path
 * would take the path as its value and update every snapshot). The
 * webhook file holds the Standard Webhooks headers too (a fixed secret and time make them stable).
 */

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SENT_AT = 1_741_944_612;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function webhookFile(name: (typeof CARD_SAMPLE_NAMES)[number]): string {
  const { body, headers } = webhookRequest(CARD_SAMPLES[name], SECRET, SENT_AT);
  const head = Object.entries(headers).map(([header, value]) => `${header}: ${value}`);
  return `${head.join('\n')}\n\n${json(JSON.parse(body))}`;
}

function factSets(elements: readonly CardElement[]): { title: string; value: string }[] {
  return elements.flatMap((element) =>
    element.type === 'FactSet' ? element.facts : element.type === 'Container' ? factSets(element.items) : [],
  );
}

describe.each(CARD_SAMPLE_NAMES)('%s', (name) => {
  const notice = CARD_SAMPLES[name];

  it('matches its golden files in every format', async () => {
    await expect(json(renderTeams(notice))).toMatchFileSnapshot(`golden/${name}.teams.json`);
    await expect(json(renderSlack(notice))).toMatchFileSnapshot(`golden/${name}.slack.json`);
    await expect(`${renderInstantMessage(notice)}\n`).toMatchFileSnapshot(`golden/${name}.im.txt`);
    await expect(webhookFile(name)).toMatchFileSnapshot(`golden/${name}.webhook.http`);
  });

  it('says the same in Teams, Slack and the IM: headline, facts, body and reference', () => {
    const view = noticeView(notice);
    const card = renderTeamsCard(notice);
    const slack = renderSlack(notice);
    const im = renderInstantMessage(notice);
    const teamsText = JSON.stringify(card);
    const slackText = JSON.stringify(slack);
    const title = view.subject ? `${view.headline}: ${view.subject}` : view.headline;

    expect(teamsText).toContain(JSON.stringify(escapeCardMarkdown(title)).slice(1, -1));
    expect(slack.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringContaining(escapeSlack(title)) },
    });
    expect(im.split('\n')[0]).toMatch(new RegExp(`${defang(title).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

    const shown = factSets(card.body);
    const folded = factSets(card.actions?.[0]?.card.body ?? []);
    for (const fact of view.facts) {
      expect(shown).toContainEqual({ title: fact.label, value: escapeCardMarkdown(fact.value, fact.kind) });
      expect(slackText).toContain(JSON.stringify(`*${fact.label}*\n${escapeSlack(fact.value, fact.kind)}`));
      expect(im.split('\n')).toContain(`${fact.label}: ${defang(fact.value, fact.kind)}`);
    }
    for (const fact of view.details) {
      expect(folded).toContainEqual({ title: fact.label, value: escapeCardMarkdown(fact.value, fact.kind) });
      expect(slackText).toContain(JSON.stringify(`*${fact.label}* ${escapeSlack(fact.value, fact.kind)}`));
    }
    if (view.body) {
      expect(teamsText).toContain(JSON.stringify(escapeCardMarkdown(view.body.text)));
      expect(slackText).toContain(escapeSlack(view.body.text));
      expect(im).toContain(`${view.body.label}: ${defang(view.body.text)}`);
    }
    for (const text of [teamsText, slackText, im]) {
      expect(text).toContain(view.footer);
      if (view.note) expect(text).toContain(view.note);
      // No notice id, href or effect key reaches a reader: the reference stands for them.
      expect(text).not.toContain(notice.id);
      expect(text).not.toMatch(/ucwa\/oauth|applications\/\d|eject\||invitation\|/);
    }
  });
});
