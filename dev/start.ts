/**
 * `npm start`: the whole gatekeeper on this machine. With no UCWA settings it runs the embedded demo —
 * Azurite in memory, the UCWA simulator playing a scenario, a local identity provider for MSAL, a local chat
 * sink — and the real functions in the local Functions host. With UCWA_DISCOVERY_URL and sign-in settings
 * (environment or local.settings.json) it runs the same host against the real servers instead.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { functionDefinitions } from '../functions/registry.js';
import { shutDown } from '../shared/app/shutdown.js';
import { storageTargetFromEnv } from '../shared/store/storage.js';
import { startAzurite } from './azurite.js';
import { type Demo, demoProgress, playScenarios, startDemo } from './demo.js';
import { renderDemoLine, Tally } from './demo-display.js';
import { startLocalHost } from './host/local-host.js';
import { createTestCa, type TestCa } from './idp/index.js';
import { applyLocalSettings, hasRealServerSettings } from './local-settings.js';

const STATE_DIR = resolve('.data');
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

  let demoRun: Demo | undefined;
  if (demo && ca) {
    demoRun = await startDemo(ca.ca, STATE_DIR);
    cleanups.push(...(demoRun?.cleanups ?? []));
  }
  const chat = demoRun?.chat;

  const host = await startLocalHost({
    definitions: functionDefinitions,
    // Ctrl-C ends the watch now instead of at its deadline minutes away (the real host's appTerminate).
    onClose: shutDown,
    // The timers queue each account's jobs; the host takes them from Azurite (or the given storage) as Azure does.
    queueStorage: storageTargetFromEnv(),
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
  void host.invoke('watchEvents');
  if (!demoRun || !chat) return;
  const running = demoRun;

  const tally = new Tally();
  let shown = 0;
  const showNew = (): void => {
    const received = chat.received.filter((message) => message.channel === 'webhook');
    for (const message of received.slice(shown)) {
      const line = renderDemoLine(message.body, tally);
      if (line) console.log(`${line}\n  ${tally.line()}`);
    }
    shown = received.length;
  };
  const show = setInterval(showNew, 100);
  cleanups.push(async () => clearInterval(show));

  const errors = await playScenarios(running);
  if (errors.length > 0) console.log(`  scenario: ${errors.join('; ')}`);
  // Once every event is handled, notices get a while to reach the chat sinks; one that keeps failing is
  // reported rather than waited for in silence.
  let handledAt: number | undefined;
  let state = await demoProgress(running);
  while (!stopping && !(state.handled && state.pending === 0)) {
    handledAt = state.handled ? (handledAt ?? Date.now()) : undefined;
    if (handledAt !== undefined && Date.now() - handledAt > DELIVERY_WAIT_MS) {
      console.log(`  ${state.pending} notices still wait for a chat sink that keeps failing`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    state = await demoProgress(running);
  }
  showNew();
  console.log(
    `\nDemo complete: ${tally.line()} across ${running.accounts.length} accounts. The gatekeeper keeps watching; Ctrl-C stops everything.`,
  );
}

/** How long the demo waits for notices to reach the chat sinks once every event is handled. */
const DELIVERY_WAIT_MS = 30_000;

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await stop(1);
});
