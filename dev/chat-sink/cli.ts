import { parseArgs } from 'node:util';
import { startChatSink } from './server.js';

/**
 * Runs the local chat sink: `tsx dev/chat-sink/cli.ts --port 7073 --jsonl .data/chat.jsonl`. Point the
 * CHAT_* settings at the printed URLs; the webhook secret defaults to CHAT_WEBHOOK_SECRET.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7073' },
    host: { type: 'string', default: '127.0.0.1' },
    secret: { type: 'string' },
    jsonl: { type: 'string' },
  },
});

const secret = values.secret ?? process.env.CHAT_WEBHOOK_SECRET;
const sink = await startChatSink({
  port: Number(values.port),
  host: values.host,
  ...(secret && { secret }),
  ...(values.jsonl && { jsonlPath: values.jsonl }),
});

console.log(`chat sink listening at ${sink.url}`);
console.log(`  CHAT_TEAMS_WEBHOOK_URL=${sink.teamsUrl}`);
console.log(`  CHAT_SLACK_WEBHOOK_URL=${sink.slackUrl}`);
console.log(`  CHAT_WEBHOOK_URL=${sink.webhookUrl}${secret ? '' : '   (signatures not checked: no secret)'}`);
console.log(
  `  the cards: ${sink.url}/ · as JSON: GET ${sink.url}/received${values.jsonl ? `, and ${values.jsonl}` : ''}`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sink.close().then(() => process.exit(0));
  });
}
