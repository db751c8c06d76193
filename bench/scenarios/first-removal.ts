/**
 * Scenario 5, the first removal after a fresh start: on Flex Consumption an instance starts from zero when the
 * first event arrives, so the first knock is the one that matters most. Each run starts a fresh process
 * (first-removal-child.ts: the gatekeeper bundled as deployed, settings as `npm start` sets them — password
 * sign-in through MSAL against the local identity provider —, its own tables), a fresh simulator with the
 * bench's latency and one meeting the account leads. Once its P-GET is parked, one anonymous guest knocks
 * (participant embedded): that is the first removal. Then `warm` more, one at a time: the same process's warm
 * figure. One uncounted run first (the OS file cache, the token cache in blob storage: what a restarted
 * instance finds), then `runs` counted; the figure is their median.
 *
 * Start and stop as in scenario 1 (the P-GET answer leaving the simulator → the removal taking effect). The
 * breakdown is on the child's clock (bench/probe.ts phases), its requests matched to the simulator's by
 * path; `transit` is what is left: the answer reaching the child and the removal POST reaching the simulator.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startChatSink } from '../../dev/chat-sink/index.js';
import { createTestCa, startIdentityProvider } from '../../dev/idp/index.js';
import { startUcwaSimulator, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { isEventsUrl, type Phases, phasesOf, type Span } from '../probe.js';
import {
  anonymousGuest,
  type BenchConfig,
  isEventsRequest,
  meetingUri,
  simActions,
  simRequests,
  tableNamespace,
  waitFor,
  whenParked,
  within,
} from '../setup.js';
import { median, round } from '../stats.js';
import { isRemoval } from './event-to-eject.js';
import type {
  FirstRemovalChildMessage,
  FirstRemovalChildOptions,
  FirstRemovalChildResult,
  FirstRemovalParentMessage,
} from './first-removal-child.js';

/** One removal as the simulator and the child saw it (ms). */
export interface RemovalSample {
  /** P-GET answer leaving the simulator → the removal taking effect. */
  ms: number;
  roundTrips: number;
  /** ms − round trips after the first × latency: what is not UCWA's injected latency. */
  ownMs: number;
  /** The child's phases (bench/probe.ts), its transit (in + out) and what it loaded meanwhile. */
  phases?: Phases & { transit: number; internal: number; moduleLoads: number; moduleLoadMs: number };
}

export interface FreshStart {
  /** Process start → the bundle loaded; createRuntime; the first getToken (sign-in or the cache). */
  loadedMs: number;
  buildMs: number;
  firstTokenMs?: number;
  first: RemovalSample;
  warm: RemovalSample[];
  /** Modules loaded after the bundle: while starting (before the first event), and during the first removal. */
  modulesAtStart: string[];
  modulesInFirst: string[];
  problems: string[];
}

export interface FirstRemovalRun {
  runs: number;
  warmPerRun: number;
  /** Medians over the counted runs: the first removal, and the same processes' warm removals. */
  firstMs: number;
  firstOwnMs: number;
  warmMs: number;
  warmOwnMs: number;
  /** Median of each phase, first and warm. */
  firstPhases: Partial<Record<keyof NonNullable<RemovalSample['phases']>, number>>;
  warmPhases: Partial<Record<keyof NonNullable<RemovalSample['phases']>, number>>;
  /** Modules loaded during any first removal (lazy imports on the event path), file names. */
  modulesInFirst: string[];
  starts: FreshStart[];
  problems: string[];
}

const TENANT = '00000000-0000-4000-8000-00000000b3c4';
const CLIENT_ID = '11111111-1111-4111-8111-11111111b3c4';
const ACCOUNT = { username: 'gatekeeper@contoso.com', password: 'bench-password-not-a-secret' };

export async function firstRemoval(
  config: BenchConfig,
  options: { runs: number; warm: number; programDir: string },
): Promise<FirstRemovalRun> {
  const scratch = await mkdtemp(join(tmpdir(), 'ucwa-bench-idp-'));
  const ca = createTestCa({ validDays: 2 });
  const caFile = join(scratch, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  const idp = await startIdentityProvider({
    ca,
    tenant: TENANT,
    users: [ACCOUNT],
    clients: [{ clientId: CLIENT_ID }],
  });
  const chat = await startChatSink();
  try {
    // The simulator checks MSAL's tokens against the provider's keys; this process does not trust the
    // provider's CA (npm start relaunches itself for that), so the keys are read here and handed over.
    const jwks = await readJwks(idp.jwksUri, idp.caPem);
    const starts: FreshStart[] = [];
    for (let pass = -1; pass < options.runs; pass++) {
      const sim = await startUcwaSimulator({
        latencyMs: config.latencyMs,
        account: { uri: 'sip:gatekeeper@contoso.com', name: 'Gatekeeper' },
        tokens: { acceptJwt: [{ issuer: idp.issuer, jwks }] },
      });
      try {
        const meeting = sim.scenario.meeting({ onlineMeetingUri: meetingUri(0), accountIsLeader: true });
        const settings: Record<string, string> = {
          UCWA_DISCOVERY_URL: sim.discoveryUrl,
          AUTH_MODE: 'password',
          UCWA_USERNAME: ACCOUNT.username,
          UCWA_PASSWORD: ACCOUNT.password,
          AZURE_TENANT_ID: TENANT,
          AZURE_CLIENT_ID: CLIENT_ID,
          AZURE_AUTHORITY_HOST: idp.authorityHost,
          AzureWebJobsStorage: config.storage,
          GATEKEEPER_MODE: 'enforce',
          WATCHED_MEETINGS: meeting.onlineMeetingUri,
          CHAT_TEAMS_WEBHOOK_URL: chat.teamsUrl,
        };
        const child = fork(join(options.programDir, 'first-removal', 'first-removal-child.js'), [], {
          execArgv: [],
          env: {
            PATH: process.env.PATH ?? '',
            NODE_EXTRA_CA_CERTS: caFile,
            BENCH_CHILD: JSON.stringify({
              settings,
              namespace: tableNamespace('first'),
              hooksUrl: pathToFileURL(join(options.programDir, 'module-hooks.js')).href,
            } satisfies FirstRemovalChildOptions),
          },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        try {
          const start = await oneStart({ child, sim, meeting }, config, options.warm);
          if (pass >= 0) starts.push(start);
        } finally {
          child.kill();
        }
      } finally {
        await sim.close();
      }
    }
    return summarizeStarts(starts, options.warm);
  } finally {
    await chat.close();
    await idp.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function oneStart(
  {
    child,
    sim,
    meeting,
  }: {
    child: ChildProcess;
    sim: UcwaSimulator;
    meeting: ReturnType<UcwaSimulator['scenario']['meeting']>;
  },
  config: BenchConfig,
  warm: number,
): Promise<FreshStart> {
  const next = messages(child);
  await next('ready', 30_000);
  try {
    await within(
      Promise.all([sim.scenario.whenAvailable(), meeting.whenJoined()]),
      30_000,
      'the fresh gatekeeper joining its meeting',
    );
  } catch (error) {
    // What the gatekeeper logged says why.
    child.send({ type: 'stop' } satisfies FirstRemovalParentMessage);
    const said = await next('result', 15_000).catch(() => undefined);
    const problems = said?.type === 'result' ? said.result.problems : ['(the child said nothing)'];
    throw new Error(
      `${(error as Error).message}; the gatekeeper logged: ${problems.join('; ') || 'nothing'}`,
    );
  }
  const knocks: { start: number; at: number; arrival: number; pGet: string; post: string; trips: number }[] =
    [];
  for (let index = 0; index <= warm; index++) {
    await whenParked(sim, config.latencyMs, 30_000);
    const emitted = waitFor(
      simRequests(sim, 'response'),
      (response) => isEventsRequest(response) && response.status === 200,
      10_000,
      'the lobby event',
    );
    let participantHref = '';
    const removed = waitFor(
      simActions(sim),
      (action) => isRemoval(action.kind) && participantHref !== '' && action.href.startsWith(participantHref),
      10_000,
      'the removal',
    );
    participantHref = meeting.knock(anonymousGuest(index), { embedParticipant: true }).participantHref;
    const [response, action] = await Promise.all([emitted, removed]);
    const start = response.completedAt ?? response.at;
    const post = sim.requests.findLast((r) => r.method === 'POST' && r.path === action.href);
    const arrival = post?.at ?? action.at;
    knocks.push({
      start,
      at: action.at,
      arrival,
      pGet: response.path,
      post: post?.path ?? action.href,
      trips: sim.requests.filter((r) => !r.batchPart && r.at >= start && r.at <= arrival).length,
    });
  }
  child.send({ type: 'stop' } satisfies FirstRemovalParentMessage);
  const { result } = (await next('result', 20_000)) as { result: FirstRemovalChildResult };
  const windows: { received: number; sent: number }[] = [];
  const samples = knocks.map((knock): RemovalSample => {
    const ms = knock.at - knock.start;
    const sample: RemovalSample = {
      ms,
      roundTrips: knock.trips,
      ownMs: knock.arrival - knock.start - (knock.trips - 1) * config.latencyMs,
    };
    const endsWith = (span: Span, path: string) =>
      new URL(span.url).pathname + new URL(span.url).search === path;
    const pGet = result.record.fetches.find((span) => isEventsUrl(span.url) && endsWith(span, knock.pGet));
    const received = pGet?.end;
    const sent =
      received === undefined
        ? undefined
        : result.record.fetches.find(
            (span) => span.method === 'POST' && span.start >= received && endsWith(span, knock.post),
          );
    const phases = received !== undefined && sent ? phasesOf(result.record, received, sent.start) : undefined;
    if (received === undefined || !sent || !phases) return sample;
    windows.push({ received, sent: sent.start });
    const loads = result.loads.filter((load) => load.start >= received && load.start <= sent.start);
    const internal = sent.start - received;
    return {
      ...sample,
      phases: {
        ...phases,
        internal,
        transit: knock.arrival - knock.start - internal,
        moduleLoads: loads.length,
        moduleLoadMs: loads.reduce((sum, load) => sum + (load.end - load.start), 0),
      },
    };
  });
  const [first, ...rest] = samples;
  if (!first) throw new Error('no removal');
  const token = result.record.marks.find((mark) => mark.what === 'tokenStart');
  const tokenEnd = token && result.record.marks.find((m) => m.what === 'tokenEnd' && m.at >= token.at);
  return {
    loadedMs: result.loadedMs,
    buildMs: result.buildMs,
    ...(token && tokenEnd ? { firstTokenMs: tokenEnd.at - token.at } : {}),
    first,
    warm: rest,
    problems: [
      ...result.problems,
      ...samples.flatMap((s, i) => (s.phases ? [] : [`removal ${i + 1}: a probe mark was missing`])),
    ],
    modulesAtStart: result.loads.filter((load) => load.start < (windows[0]?.received ?? 0)).map(fileOf),
    modulesInFirst: first.phases
      ? result.loads
          .filter(
            (load) => load.start >= (windows[0]?.received ?? 0) && load.start <= (windows[0]?.sent ?? 0),
          )
          .map(fileOf)
      : [],
  };
}

const fileOf = (load: { url: string }) => load.url.split('/').at(-1) ?? load.url;

function summarizeStarts(starts: FreshStart[], warm: number): FirstRemovalRun {
  const med = (values: number[]) => round(median(values));
  const phaseMedians = (samples: RemovalSample[]) => {
    const withPhases = samples.flatMap((s) => (s.phases ? [s.phases] : []));
    const keys = [...new Set(withPhases.flatMap((p) => Object.keys(p)))] as (keyof NonNullable<
      RemovalSample['phases']
    >)[];
    // Each phase over the removals that had it (a "sending" write only follows some claims).
    return Object.fromEntries(
      keys.map((key) => [key, med(withPhases.flatMap((p) => (p[key] === undefined ? [] : [p[key]])))]),
    );
  };
  const firsts = starts.map((s) => s.first);
  // Each process's warm figure is the median of its warm removals; the run's is the median of those.
  const warmOf = (start: FreshStart, pick: (s: RemovalSample) => number) => median(start.warm.map(pick));
  const warms = starts.flatMap((s) => s.warm);
  return {
    runs: starts.length,
    warmPerRun: warm,
    firstMs: med(firsts.map((s) => s.ms)),
    firstOwnMs: med(firsts.map((s) => s.ownMs)),
    warmMs: med(starts.map((s) => warmOf(s, (r) => r.ms))),
    warmOwnMs: med(starts.map((s) => warmOf(s, (r) => r.ownMs))),
    firstPhases: phaseMedians(firsts),
    warmPhases: phaseMedians(warms),
    modulesInFirst: [...new Set(starts.flatMap((s) => s.modulesInFirst))],
    starts,
    problems: [...new Set(starts.flatMap((s) => s.problems))],
  };
}

function readJwks(url: string, ca: string): Promise<{ keys: object[] }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(body) as { keys: object[] });
        } catch (error) {
          reject(error);
        }
      });
    }).on('error', reject);
  });
}

/** Messages from the child, one at a time, each with a deadline. */
function messages(child: ChildProcess) {
  const queue: FirstRemovalChildMessage[] = [];
  let waiting: ((message: FirstRemovalChildMessage) => void) | undefined;
  child.on('message', (message: FirstRemovalChildMessage) => {
    const resolve = waiting;
    waiting = undefined;
    if (resolve) resolve(message);
    else queue.push(message);
  });
  return async (type: FirstRemovalChildMessage['type'], timeoutMs: number) => {
    const message =
      queue.shift() ??
      (await within(
        new Promise<FirstRemovalChildMessage>((resolve) => {
          waiting = resolve;
        }),
        timeoutMs,
        `the first-removal child to say ${type}`,
      ));
    if (message.type === 'failed') throw new Error(`first-removal child failed: ${message.error}`);
    if (message.type !== type) throw new Error(`first-removal child said ${message.type}, expected ${type}`);
    return message;
  };
}
