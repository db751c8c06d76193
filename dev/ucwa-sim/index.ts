/**
 * UCWA 2.0 simulator: a real HTTP server that behaves like a Skype for Business Server front end, for the
 * demo, the benchmarks and the client's tests. It deliberately shares no code with `shared/ucwa`.
 */
import { randomInt } from 'node:crypto';
import { Dispatcher } from './dispatch.js';
import { FaultSet } from './faults.js';
import { resolveOptions } from './options.js';
import { DISCOVERY_ROOT } from './paths.js';
import { Recorder } from './recorder.js';
import { ScenarioApi } from './scenario.js';
import { HttpFrontEnd } from './server.js';
import { Timers } from './timers.js';
import { normalizeOrigin, TokenStore } from './tokens.js';
import type { RecordedAction, RecordedRequest, SimUser, SimulatorOptions, UcwaSimulator } from './types.js';
import { World } from './world.js';

export { parseScenarioFile, scenarioFileSchema } from './scenario-file.js';
export { SCOPES_BY_RESOURCE } from './scopes.js';
export { ManualClock, type SimClock } from './timers.js';
export type * from './types.js';

export async function startUcwaSimulator(options: SimulatorOptions = {}): Promise<UcwaSimulator> {
  const opts = resolveOptions(options);
  const timers = new Timers(options.clock);
  const recorder = new Recorder(timers);
  const faults = new FaultSet();
  const tokens = new TokenStore(opts.acceptJwt, opts.tokenLifetimeSec, () => timers.now());
  let dispatcher: Dispatcher | undefined;
  const front = new HttpFrontEnd(
    {
      dispatcher: () => {
        if (!dispatcher) throw new Error('simulator not started');
        return dispatcher;
      },
      faults,
      recorder,
      timers,
    },
    opts.latencyMs,
  );

  const portFor = (index: number): number => (opts.port > 0 ? opts.port + index : 0);
  const discovery: string[] = [];
  let pool: string;
  try {
    for (let hop = 0; hop <= opts.discoveryRedirects; hop++)
      discovery.push(await front.listen(opts.host, portFor(hop)));
    const last = discovery[discovery.length - 1] ?? '';
    pool = opts.separatePoolOrigin ? await front.listen(opts.host, portFor(discovery.length)) : last;
  } catch (error) {
    await front.close();
    throw error;
  }

  const applicationIds = { next: 100 + randomInt(900) };
  const world = new World(opts, timers, recorder, pool, applicationIds);
  // Every further user: a world of their own on the same server, under the same origins and id space.
  const worlds = new Map<string, World>([[opts.account.username.toLowerCase(), world]]);
  for (const account of opts.moreAccounts)
    worlds.set(
      account.username.toLowerCase(),
      new World({ ...opts, account }, timers, recorder, pool, applicationIds),
    );
  dispatcher = new Dispatcher(opts, {
    world,
    worlds,
    tokens,
    faults,
    recorder,
    timers,
    origins: { discovery, pool },
  });
  const scenario = new ScenarioApi(world, timers);
  const allOrigins = new Set([...discovery, pool].map(normalizeOrigin));
  let closing: Promise<void> | undefined;
  const issueToken = (issue: Parameters<UcwaSimulator['issueToken']>[0] = {}, user?: string) => {
    if (issue.origin && !allOrigins.has(normalizeOrigin(issue.origin))) {
      throw new Error(`${issue.origin} is not one of the simulator's origins`);
    }
    return tokens.issue({
      ...(issue.origin ? { origin: issue.origin } : {}),
      ...(issue.scopes ? { scopes: issue.scopes } : {}),
      ...(issue.lifetimeSec !== undefined ? { lifetimeSec: issue.lifetimeSec } : {}),
      ...(user ? { user } : {}),
    }).token;
  };
  const users = new Map<string, SimUser>();
  for (const [username, own] of worlds) {
    const account = own.opts.account;
    users.set(username, {
      credentials: { username: account.username, password: account.password },
      scenario: own === world ? scenario : new ScenarioApi(own, timers),
      issueToken: (issue) => issueToken(issue, username),
      currentApplicationId: () => own.currentApplication()?.id,
    });
  }

  return {
    discoveryUrl: `${discovery[0] ?? pool}${DISCOVERY_ROOT}`,
    origins: { discovery: [...discovery], pool },
    credentials: { username: opts.account.username, password: opts.account.password },
    issueToken: (issue = {}) => issueToken(issue),
    revokeTokens: () => tokens.revokeAll(),
    scenario,
    user: (username) => {
      const found = users.get(username.toLowerCase());
      if (!found) throw new Error(`${username} is not a user of this simulator`);
      return found;
    },
    tokenUser: (authorization) => {
      const user = tokens.userOf(authorization);
      // Tokens issued without a user are the first user's.
      return user ?? (tokens.known(authorization) ? opts.account.username.toLowerCase() : undefined);
    },
    applicationUser: (id) => [...worlds].find(([, own]) => own.lookupApplication(id) !== '404')?.[0],
    faults,
    setLatency: (ms) => {
      front.latencyMs = Math.max(0, ms);
    },
    requests: recorder.requests,
    actions: recorder.actions,
    currentApplicationId: () => world.currentApplication()?.id,
    expireApplication: (how = '404') => {
      const app = world.currentApplication();
      if (app) world.removeApplication(app, how);
    },
    on: (
      event: 'request' | 'response' | 'action' | 'parked',
      listener: (x: RecordedRequest & RecordedAction) => void,
    ) => {
      recorder.emitter.on(event, listener);
    },
    off: (event, listener) => {
      recorder.emitter.off(event, listener as (...args: unknown[]) => void);
    },
    openHandles: () => ({ timers: timers.activeCount, ...front.openHandles }),
    close: () => {
      closing ??= (async () => {
        timers.closeAll();
        for (const own of worlds.values()) own.closeAll();
        await front.close();
        recorder.emitter.removeAllListeners();
      })();
      return closing;
    },
  };
}
