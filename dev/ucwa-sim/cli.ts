/**
 * Runs the UCWA simulator on its own: `npx tsx dev/ucwa-sim/cli.ts [--scenario file.json] [--port N]`.
 * Prints the discovery URL, the account's credentials and a ready-made token, then plays the scenario.
 * The last startup line, `UCWA_SIM_READY {...}`, is JSON for orchestrators.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseScenarioFile, startUcwaSimulator } from './index.js';
import type { PathFamily, RecordedAction, SimulatorOptions } from './types.js';

const USAGE = `Usage: tsx dev/ucwa-sim/cli.ts [options]
  --scenario <file>        JSON scenario to play (see dev/ucwa-sim/README.md)
  --port <n>               first port (discovery hops and the pool take the next ones); default: free ports
  --host <addr>            interface to listen on; default 127.0.0.1
  --path-family <v1|oauth> URL family; default oauth
  --participant-ids <numeric|sip>
  --redirects <n>          extra autodiscover hops; default 0
  --latency <ms>           latency added to every request
  --min-timeout <sec>      lowest P-GET timeout accepted (docs: 180)
  --quiet                  do not log requests and actions
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'path-family': { type: 'string' },
      'participant-ids': { type: 'string' },
      redirects: { type: 'string' },
      latency: { type: 'string' },
      'min-timeout': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const number = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0`);
    return value;
  };
  const family = values['path-family'];
  if (family !== undefined && family !== 'v1' && family !== 'oauth')
    throw new Error('--path-family is v1 or oauth');
  const ids = values['participant-ids'];
  if (ids !== undefined && ids !== 'numeric' && ids !== 'sip')
    throw new Error('--participant-ids is numeric or sip');

  const scenarioJson = values.scenario ? JSON.parse(await readFile(values.scenario, 'utf8')) : undefined;
  if (scenarioJson !== undefined) parseScenarioFile(scenarioJson);

  const options: SimulatorOptions = {};
  const port = number(values.port, 'port');
  if (port !== undefined) options.port = port;
  if (values.host) options.host = values.host;
  if (family) options.pathFamily = family as PathFamily;
  if (ids) options.participantIds = ids;
  const redirects = number(values.redirects, 'redirects');
  if (redirects !== undefined) options.discoveryRedirects = redirects;
  const latency = number(values.latency, 'latency');
  if (latency !== undefined) options.latencyMs = latency;
  const minTimeout = number(values['min-timeout'], 'min-timeout');
  if (minTimeout !== undefined) options.eventChannel = { minTimeoutSec: minTimeout };

  const sim = await startUcwaSimulator(options);
  const token = sim.issueToken();
  console.log('UCWA simulator listening');
  console.log(`  discovery: ${sim.discoveryUrl}`);
  console.log(`  pool:      ${sim.origins.pool}`);
  console.log(`  account:   username ${sim.credentials.username}, password ${sim.credentials.password}`);
  console.log(`  token:     ${token}`);
  console.log(
    `UCWA_SIM_READY ${JSON.stringify({ discoveryUrl: sim.discoveryUrl, origins: sim.origins, token, credentials: sim.credentials })}`,
  );

  if (!values.quiet) {
    sim.on('response', (request) => {
      if (!request.batchPart)
        console.log(`[http] ${request.method} ${request.origin}${request.path} → ${request.status}`);
    });
    sim.on('action', (action: RecordedAction) => {
      const who = action.participantUri ? ` ${action.participantUri}` : '';
      const where = action.meetingUri ? ` in ${action.meetingUri}` : '';
      console.log(`[action] ${action.kind}${who}${where}`);
    });
  }

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  if (scenarioJson !== undefined) {
    console.log(
      `Scenario loaded; it starts when the account calls makeMeAvailable (unless startWhen is "now").`,
    );
    const result = await sim.scenario.run(scenarioJson);
    for (const error of result.errors) console.error(`[scenario] ${error}`);
    if (!result.cancelled) console.log(`[scenario] done: ${result.stepsRun} steps`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
