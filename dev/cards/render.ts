/**
 * `npm run cards:render`: every card kind in every chat format, photographed in headless Chromium (Debian's
 * `chromium` package, or CHROMIUM=/path/to/chrome) into docs/img/cards/. Teams cards are drawn by Microsoft's
 * Adaptive Cards renderer; Slack by an approximation of Block Kit (dev/chat-sink/slack-html.ts).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { renderInstantMessage } from '../../shared/chat/render-im.js';
import { renderSlack } from '../../shared/chat/render-slack.js';
import { renderTeams } from '../../shared/chat/render-teams.js';
import { ADAPTIVE_CARDS_BUNDLE, chatPage, type ShownChannel, type ShownMessage } from '../chat-sink/page.js';
import { CARD_SAMPLE_NAMES, CARD_SAMPLES, type CardSampleName } from './samples.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const OUT = resolve(import.meta.dirname, '../../docs/img/cards');
const WIDTH = 560;
/** Pixels per CSS pixel: sharp on high-density screens, and still small files. */
const SCALE = 2;

const IN_EVERY_FORMAT = new Set<CardSampleName>([
  'lobby-removed',
  'lobby-dry-run',
  'invitation-external',
  'digest',
]);

interface Shot {
  file: string;
  message: ShownMessage;
  expandDetails?: boolean;
}

function shots(name: CardSampleName): Shot[] {
  const notice = CARD_SAMPLES[name];
  const formats: [ShownChannel, unknown][] = [['teams', renderTeams(notice)]];
  // Every kind as a Teams card; the other formats for a few, to keep docs/img small.
  if (IN_EVERY_FORMAT.has(name)) {
    formats.push(['slack', renderSlack(notice)], ['im', renderInstantMessage(notice)]);
  }
  const list: Shot[] = formats.map(([channel, body]) => ({
    file: `${name}-${channel}.png`,
    message: { channel, body },
  }));
  if (name === 'lobby-removed') {
    list.push({
      file: `${name}-teams-details.png`,
      message: { channel: 'teams', body: renderTeams(notice), caption: 'Microsoft Teams · Details opened' },
      expandDetails: true,
    });
  }
  return list;
}

async function chromium(args: string[]): Promise<string> {
  const common = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--virtual-time-budget=2000',
  ];
  const { stdout } = await run(CHROMIUM, [...common, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function photograph(directory: string, shot: Shot): Promise<void> {
  const html = chatPage([shot.message], {
    title: shot.file,
    adaptiveCardsSrc: pathToFileURL(ADAPTIVE_CARDS_BUNDLE).href,
    width: WIDTH,
    ...(shot.expandDetails && { expandDetails: true }),
  });
  const page = join(directory, shot.file.replace(/\.png$/, '.html'));
  await writeFile(page, html);
  const url = pathToFileURL(page).href;
  // First learn how tall the rendered page is, then photograph exactly that.
  const dom = await chromium(['--window-size=1200,2000', '--dump-dom', url]);
  const height = Number(/data-height="(\d+)"/.exec(dom)?.[1]);
  if (!Number.isFinite(height) || height <= 0) throw new Error(`${shot.file}: the page did not render`);
  await chromium([
    `--window-size=${WIDTH + 32},${height}`,
    `--force-device-scale-factor=${SCALE}`,
    `--screenshot=${join(OUT, shot.file)}`,
    url,
  ]);
}

const only = process.argv.slice(2);
const directory = await mkdtemp(join(tmpdir(), 'cards-'));
try {
  await mkdir(OUT, { recursive: true });
  for (const name of CARD_SAMPLE_NAMES) {
    if (only.length > 0 && !only.includes(name)) continue;
    for (const shot of shots(name)) {
      await photograph(directory, shot);
      console.log(`docs/img/cards/${shot.file}`);
    }
  }
} finally {
  await rm(directory, { recursive: true, force: true });
}
