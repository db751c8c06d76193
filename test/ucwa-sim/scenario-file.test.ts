import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenarioFile, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { Client, flatten, startSim, withTimeout } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const demo = JSON.parse(readFileSync(join(root, 'dev/ucwa-sim/scenarios/demo.json'), 'utf8'));

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('JSON scenarios', () => {
  it('validates with readable errors', () => {
    expect(() => parseScenarioFile({ steps: [{ afterMs: 0 }] })).toThrow(/exactly one of/);
    expect(() => parseScenarioFile({ steps: [{ incomingIm: { from: { role: 'Boss' } } }] })).toThrow(/role/);
    expect(() =>
      parseScenarioFile({ steps: [{ incomingIm: { from: {} }, knock: { meeting: 'm', guest: {} } }] }),
    ).toThrow();
    expect(() => parseScenarioFile({ stepz: [] })).toThrow(/stepz/);
    expect(parseScenarioFile({ steps: [] })).toMatchObject({ startWhen: 'available', meetings: [] });
  });

  it.each(['demo-townhall.json', 'demo-exec.json'])(
    "ships the demo's other accounts' scenarios valid, each a meeting its account leads: %s",
    (name) => {
      const file = parseScenarioFile(
        JSON.parse(readFileSync(join(root, 'dev/ucwa-sim/scenarios', name), 'utf8')),
      );
      expect(file.meetings.map((meeting) => meeting.accountIsLeader)).toEqual([true]);
      expect(file.steps.some((step) => step.knock?.guest.anonymous)).toBe(true);
    },
  );

  it('ships a valid demo with the required cast', () => {
    const file = parseScenarioFile(demo);
    const ims = file.steps.flatMap((s) => (s.incomingIm ? [s.incomingIm.from] : []));
    expect(ims.map((f) => f.sourceNetwork)).toEqual(['SameEnterprise', 'Federated', 'PublicCloud']);
    expect(ims.some((f) => f.anonymous === true)).toBe(true);
    expect(file.meetings[0]?.accountIsLeader).toBe(true);
    const knocks = file.steps.flatMap((s) => (s.knock ? [s.knock.guest] : []));
    expect(knocks.filter((g) => g.anonymous).length).toBeGreaterThanOrEqual(2);
    expect(knocks.some((g) => !g.anonymous)).toBe(true);
  });

  it('plays timed steps once the account is available, knocks once it joined', async () => {
    sim = await startSim();
    const uri = 'sip:o@contoso.com;gruu;opaque=app:conf:focus:id:RUN';
    const run = sim.scenario.run({
      meetings: [{ onlineMeetingUri: uri, organizer: { name: 'Org', uri: 'sip:o@contoso.com' } }],
      steps: [
        { afterMs: 0, incomingIm: { from: { name: 'A', uri: 'sip:a@contoso.com' }, message: 'one' } },
        { afterMs: 30, incomingInvitation: { kind: 'phoneAudio', from: { name: 'B' } } },
        {
          afterMs: 10,
          waitForJoin: true,
          knock: { meeting: uri, guest: { name: 'Anon', anonymous: true }, offer: ['reject'] },
        },
        { afterMs: 40, waitForJoin: true, leave: { meeting: uri, guest: { name: 'Anon' } } },
        { afterMs: 0, knock: { meeting: 'sip:unknown', guest: {} } },
      ],
    });
    const client = new Client(sim);
    const app = await client.createApplication();
    await client.makeMeAvailable(app);
    await client.post(app._embedded.communication._links.joinOnlineMeeting.href, { onlineMeetingUri: uri });
    const result = await run;
    expect(result.stepsRun).toBe(4);
    expect(result.errors).toEqual([expect.stringContaining('no meeting sip:unknown')]);
    let next: string = app._links.events.href;
    const seen: string[] = [];
    for (let i = 0; i < 10 && !seen.includes('participant:deleted'); i++) {
      const reply = await client.get(withTimeout(next, 0.2));
      next = reply.body._links.next.href;
      seen.push(...flatten([reply.body]).map((e) => `${e.rel}:${e.type}`));
    }
    expect(seen).toEqual(
      expect.arrayContaining([
        'messagingInvitation:started',
        'phoneAudioInvitation:started',
        'participant:added',
      ]),
    );
    expect(seen).toContain('participant:deleted');
  });
});

describe('cli', () => {
  it('prints the discovery URL and a token, and serves until stopped', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'dev/ucwa-sim/cli.ts', '--scenario', 'dev/ucwa-sim/scenarios/demo.json', '--quiet'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const ready = await new Promise<{ discoveryUrl: string; token: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line: ${output}`)), 15_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const line = /UCWA_SIM_READY (\{.*\})/.exec(output)?.[1];
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    try {
      expect(output).toContain(`discovery: ${ready.discoveryUrl}`);
      expect(ready.token).toMatch(/^cwt=/);
      const root = await fetch(ready.discoveryUrl);
      expect(root.status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
