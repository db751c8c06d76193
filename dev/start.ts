/**
 * `npm start`: the whole gatekeeper on this machine. With no UCWA settings it runs the embedded demo —
 * Azurite in memory, the UCWA simulator playing a scenario, a local identity provider for MSAL, a local chat
 * sink — and the real functions in the local Functions host. With UCWA_DISCOVERY_URL and sign-in settings
 * (environment or local.settings.json) it runs the same host against the real servers instead.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { functionDefinitions } from '../functions/registry.js';
import { runtime } from '../shared/app/account-runtimes.js';
import { shutDown } from '../shared/app/shutdown.js';
import { newWebhookSecret } from '../shared/chat/signature.js';
import { startAzurite } from './azurite.js';
import { type ChatSinkServer, startChatSink } from './chat-sink/index.js';
import { renderDemoLine, Tally } from './demo-display.js';
import { startLocalHost } from './host/local-host.js';
import { createTestCa, startIdentityProvider, type TestCa } from './idp/index.js';
import { applyLocalSettings, hasRealServerSettings } from './local-settings.js';
import { startUcwaSimulator, type UcwaSimulator } from './ucwa-sim/index.js';

const STATE_DIR = resolve('.data');
const DEMO_TENANT = '00000000-0000-4000-8000-00000000a11c';
const DEMO_CLIENT_ID = '11111111-1111-4111-8111-111111111111';
const DEMO_SCENARIO = new URL('./ucwa-sim/scenarios/demo.json', import.meta.url);
const verbose = process.argv.includes('--verbose');

const cleanups: (() => Promise<unknown>)[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  process.exit(code);
}

/**
 * One line when this Node.js is not one package.json `engines` declares (the one place the versions are
 * written): `npm start` still runs, as it does on Node.js 20, but says so.
 */
function nodeVersionNotice(): string | undefined {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    engines?: { node?: string };
  };
  const supported = [...(packageJson.engines?.node ?? '').matchAll(/\^(\d+)/g)].map((match) =>
    Number(match[1]),
  );
  const major = Number(process.versions.node.split('.')[0]);
  if (supported.length === 0 || supported.includes(major)) return undefined;
  const versions = supported.join(' or ');
  return major < Math.max(...supported)
    ? `Note: Node.js ${major} is past its end of life; ucwa-gatekeeper supports Node.js ${versions}.`
    : `Note: Node.js ${major} is untested; ucwa-gatekeeper supports Node.js ${versions}.`;
}

/** The local CA, kept in .data so NODE_EXTRA_CA_CERTS stays valid across runs. */
function localCa(): { ca: TestCa; caFile: string } {
  mkdirSync(join(STATE_DIR, 'idp'), { recursive: true });
  const caJson = join(STATE_DIR, 'idp', 'ca.json');
  const caFile = join(STATE_DIR, 'idp', 'ca.pem');
  let ca: TestCa;
  try {
    ca = JSON.parse(readFileSync(caJson, 'utf8')) as TestCa;
  } catch {
    ca = createTestCa({ validDays: 365 });
    writeFileSync(caJson, JSON.stringify(ca), { mode: 0o600 });
  }
  writeFileSync(caFile, ca.certPem);
  return { ca, caFile };
}

/**
 * Node reads NODE_EXTRA_CA_CERTS only at start-up, and MSAL must trust the local identity provider: run this
 * script again in a child that has it, and mirror the child's exit. Ctrl-C reaches both (same process group).
 */
function relaunchTrusting(caFile: string): void {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
}

async function main(): Promise<void> {
  applyLocalSettings();
  const demo = !hasRealServerSettings();
  let ca: { ca: TestCa; caFile: string } | undefined;
  if (demo) {
    ca = localCa();
    if (process.env.NODE_EXTRA_CA_CERTS !== ca.caFile) return relaunchTrusting(ca.caFile);
  }
  const notice = nodeVersionNotice();
  if (notice) console.warn(notice);
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  // Relaunched: if the launcher dies without a signal (kill -9, crash), do not outlive it.
  if (demo) {
    const launcher = process.ppid;
    setInterval(() => process.ppid !== launcher && void stop(1), 1_000).unref();
  }

  if (!process.env.AzureWebJobsStorage && !process.env.AzureWebJobsStorage__tableServiceUri) {
    const azurite = await startAzurite();
    cleanups.push(() => azurite.stop());
    process.env.AzureWebJobsStorage = azurite.connectionString;
  }

  let chat: ChatSinkServer | undefined;
  let sim: Awaited<ReturnType<typeof startUcwaSimulator>> | undefined;
  if (demo && ca) {
    const account = { username: 'gatekeeper@contoso.com', password: `demo-${randomUUID()}` };
    const idp = await startIdentityProvider({
      ca: ca.ca,
      tenant: DEMO_TENANT,
      users: [account],
      clients: [{ clientId: DEMO_CLIENT_ID }],
    });
    cleanups.push(() => idp.close());
    sim = await startUcwaSimulator({
      account: { uri: 'sip:gatekeeper@contoso.com', name: 'Gatekeeper' },
      tokens: { acceptJwt: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] },
    });
    cleanups.push(() => sim?.close() ?? Promise.resolve());
    const secret = newWebhookSecret();
    chat = await startChatSink({ secret, jsonlPath: join(STATE_DIR, 'chat-sink.jsonl') });
    cleanups.push(() => chat?.close() ?? Promise.resolve());
    const scenario = JSON.parse(readFileSync(DEMO_SCENARIO, 'utf8')) as {
      meetings?: { onlineMeetingUri: string }[];
    };
    Object.assign(process.env, {
      UCWA_DISCOVERY_URL: sim.discoveryUrl,
      AUTH_MODE: 'password',
      UCWA_USERNAME: account.username,
      UCWA_PASSWORD: account.password,
      AZURE_TENANT_ID: DEMO_TENANT,
      AZURE_CLIENT_ID: DEMO_CLIENT_ID,
      AZURE_AUTHORITY_HOST: idp.authorityHost,
      INBOUND_AUDIENCE: 'api://ucwa-gatekeeper-demo',
      GATEKEEPER_MODE: process.env.GATEKEEPER_MODE ?? 'enforce',
      WATCHED_MEETINGS: (scenario.meetings ?? []).map((m) => m.onlineMeetingUri).join(','),
      CHAT_TEAMS_WEBHOOK_URL: chat.teamsUrl,
      CHAT_SLACK_WEBHOOK_URL: chat.slackUrl,
      CHAT_WEBHOOK_URL: chat.webhookUrl,
      CHAT_WEBHOOK_SECRET: secret,
    });
  }

  const host = await startLocalHost({
    definitions: functionDefinitions,
    // Ctrl-C ends the watch now instead of at its deadline minutes away (the real host's appTerminate).
    onClose: shutDown,
    // The timers queue each account's jobs; the host takes them from Azurite (or the given storage) as Azure does.
    ...(process.env.AzureWebJobsStorage ? { queueConnectionString: process.env.AzureWebJobsStorage } : {}),
    port: Number(process.env.PORT ?? 7071),
    log: (name, level, message) => {
      if (verbose || level === 'error' || level === 'warning')
        console.log(`  [${name}] ${level}: ${message}`);
    },
  });
  cleanups.push(() => host.close());

  console.log(
    `ucwa-gatekeeper ${demo ? 'demo (simulated Skype for Business, nothing leaves this machine)' : 'against real servers'}`,
  );
  console.log(
    `  Functions: ${host.url}/api/health · /api/ucwa/events · /api/inspect  (admin: POST ${host.url}/admin/functions/<name>)`,
  );
  if (chat)
    console.log(
      `  Chat sink: ${chat.url}/ shows the cards; ${chat.url}/received (also .data/chat-sink.jsonl)`,
    );
  console.log(`  Mode: ${process.env.GATEKEEPER_MODE ?? 'dry-run'} · Ctrl-C stops everything\n`);

  // Hold the event channel now instead of waiting for the first timer tick (it queues one watch per account).
  if (!process.env.AzureWebJobsStorage)
    console.log('  No AzureWebJobsStorage connection string: the queued jobs (the watch) cannot run locally');
  void host.invoke('watchEvents');
  if (!sim || !chat) return;

  const tally = new Tally();
  let shown = 0;
  const showNew = (): void => {
    const received = chat?.received.filter((message) => message.channel === 'webhook') ?? [];
    for (const message of received.slice(shown)) {
      const line = renderDemoLine(message.body, tally);
      if (line) console.log(`${line}\n  ${tally.line()}`);
    }
    shown = received.length;
  };
  const show = setInterval(showNew, 100);
  cleanups.push(async () => clearInterval(show));

  const result = await sim.scenario.run(JSON.parse(readFileSync(DEMO_SCENARIO, 'utf8')));
  if (result.errors.length > 0) console.log(`  scenario: ${result.errors.join('; ')}`);
  // Once every event is handled, notices get a while to reach the chat sinks; one that keeps failing is
  // reported rather than waited for in silence.
  let handledAt: number | undefined;
  let state = await progress(sim);
  while (!stopping && !(state.handled && state.pending === 0)) {
    handledAt = state.handled ? (handledAt ?? Date.now()) : undefined;
    if (handledAt !== undefined && Date.now() - handledAt > DELIVERY_WAIT_MS) {
      console.log(`  ${state.pending} notices still wait for a chat sink that keeps failing`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    state = await progress(sim);
  }
  showNew();
  console.log(`\nDemo complete: ${tally.line()}. The gatekeeper keeps watching; Ctrl-C stops everything.`);
}

/** How long the demo waits for notices to reach the chat sinks once every event is handled. */
const DELIVERY_WAIT_MS = 30_000;

/**
 * The demo is over once the gatekeeper has handled every event the simulator sent — the watch polls again
 * only after a batch is handled and its notices are queued, so a P-GET after the last batch that carried
 * events says so — and every queued notice reached every chat sink. Not "after a quiet spell", which a slow
 * machine could reach with the last removal still on its way.
 */
async function progress(sim: UcwaSimulator): Promise<{ handled: boolean; pending: number }> {
  const polls = sim.requests.filter((r) => !r.batchPart && r.method === 'GET' && /\/events\?/.test(r.path));
  const lastWithEvents = polls.findLastIndex((r) => (r.events?.length ?? 0) > 0);
  const handled =
    sim.scenario.pendingEvents().length === 0 && lastWithEvents >= 0 && lastWithEvents < polls.length - 1;
  // Without sinks a drain delivers nothing; it only counts the notices still pending.
  const { pending } = await (await runtime()).outbox.drain({ sinks: [] });
  return { handled, pending };
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await stop(1);
});
