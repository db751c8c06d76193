import { describe, expect, it } from 'vitest';
import { CARD_SAMPLES } from '../../dev/cards/samples.js';
import type { ReceivedMessage } from '../../dev/chat-sink/index.js';
import { attributeAll, noticeKey, type OutboxRow } from '../../dev/soak/evidence.js';
import { renderSlack, renderTeams, renderWebhook } from '../../shared/chat/index.js';

const received = (channel: ReceivedMessage['channel'], body: unknown): ReceivedMessage => ({
  channel,
  receivedAt: '2025-03-14T09:30:13.000Z',
  path: `/${channel}`,
  headers: {},
  body,
  raw: JSON.stringify(body),
});

describe('the soak attributes chat messages to notices', () => {
  const notice = CARD_SAMPLES['lobby-removed'];
  const row: OutboxRow = { noticeId: notice.id, kind: 'lobby', state: 'done', sinks: {} };

  it('by the reference in the Teams and Slack footers, which the outbox row names', () => {
    const [teams, slack] = attributeAll(
      [received('teams', renderTeams(notice)), received('slack', renderSlack(notice))],
      [row],
    );
    for (const message of [teams, slack]) {
      expect(message).toMatchObject({ noticeKey: noticeKey(notice.id), kind: 'eject' });
      expect(message).not.toHaveProperty('noticeId');
    }
  });

  it('by the webhook body, which names the id itself, even once the outbox has purged the row', () => {
    const [webhook, teams] = attributeAll(
      [received('webhook', renderWebhook(notice)), received('teams', renderTeams(notice))],
      [],
    );
    expect(webhook).toMatchObject({ noticeId: notice.id, noticeKey: noticeKey(notice.id), outcome: 'done' });
    expect(teams).toMatchObject({ noticeKey: noticeKey(notice.id), kind: 'eject' });
  });
});
