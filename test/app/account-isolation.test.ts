import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { runAccountJob } from '../../shared/app/account-jobs.js';
import { AccountRuntimes } from '../../shared/app/account-runtimes.js';
import { checkAccountsHealth } from '../../shared/app/health.js';
import { createRuntime } from '../../shared/app/runtime.js';
import type { Logger } from '../../shared/gatekeeper/logger.js';
import { MemoryTelemetry } from '../../shared/telemetry.js';
import { MEETING_URI, worldClock } from '../helpers/gatekeeper-world.js';
import { simTokens, startSim } from '../helpers/ucwa-sim.js';

const sims: UcwaSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

const guest = {
  anonymous: true,
  name: 'Anonymous 1',
  sourceNetwork: 'PublicCloud' as const,
  uri: 'sip:anon1@public.example',
};

/** Two accounts, each on its own server, over one Azurite, and one left out; per-account logs and telemetry. */
async function twoAccounts() {
  const [up, down] = [await startSim(), await startSim()] as [UcwaSimulator, UcwaSimulator];
  sims.push(up, down);
  const namespace = `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const logs: { account: unknown; level: string; message: string }[] = [];
  const log: Logger = {
    info: (message, p) => logs.push({ account: p?.account, level: 'info', message }),
    warn: (message, p) => logs.push({ account: p?.account, level: 'warn', message }),
    error: (message, p) => logs.push({ account: p?.account, level: 'error', message }),
  };
  const telemetry = new MemoryTelemetry();
  const server = { up, down };
  const env = {
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    GATEKEEPER_MODE: 'enforce',
    WATCHED_MEETINGS: MEETING_URI,
    // Listed first: its runtime cannot be built, and that shuts nothing for the others.
    GATEKEEPER_ACCOUNTS: 'bad,up,down,typo',
    ACCOUNT__up__UCWA_DISCOVERY_URL: up.discoveryUrl,
    ACCOUNT__up__UCWA_USERNAME: 'up@contoso.com',
    ACCOUNT__down__UCWA_DISCOVERY_URL: down.discoveryUrl,
    ACCOUNT__down__UCWA_USERNAME: 'down@contoso.com',
    // Its policy does not parse: found when its runtime is built.
    ACCOUNT__bad__UCWA_DISCOVERY_URL: up.discoveryUrl,
    ACCOUNT__bad__UCWA_USERNAME: 'bad@contoso.com',
    ACCOUNT__bad__GATEKEEPER_POLICY: '{"rules": "not a list"}',
    // A setting that cannot be read: left out at once.
    ACCOUNT__typo__UCWA_DISCOVERY_URL: up.discoveryUrl,
    ACCOUNT__typo__UCWA_USERNAME: 'typo@contoso.com',
    ACCOUNT__typo__GATEKEEPER_MODE: 'sometimes',
  };
  const runtimes = new AccountRuntimes(
    env,
    (account) =>
      createRuntime(account.settings, {
        account: account.id,
        namespace,
        tokens: simTokens(account.id === 'down' ? server.down : server.up),
        log,
        telemetry,
        now: worldClock(),
        ucwa: { eventChannel: { timeoutSec: 1, marginMs: 5_000 }, retry: { baseMs: 5, maxMs: 20 } },
      }),
    log,
  );
  return { up, down, env, runtimes, logs, telemetry };
}

describe('accounts are isolated', () => {
  it("one account's server is down: the other keeps removing guests, and the failure is the down one's alone", async () => {
    const { up, down, env, runtimes, logs, telemetry } = await twoAccounts();
    const meeting = up.scenario.meeting({
      onlineMeetingUri: MEETING_URI,
      subject: 'Town hall',
      accountIsLeader: true,
    });
    await down.close();
    const removed = new Promise<void>((resolve) => {
      const listener = (action: { kind: string; participantUri?: string }) => {
        if (action.kind === 'reject' && action.participantUri === guest.uri) resolve();
      };
      up.on('action', listener as never);
    });
    void meeting.whenJoined().then(() => meeting.knock(guest));
    const stop = new AbortController();
    void removed.then(() => stop.abort());
    // As the queue hands the two accounts' watch messages to the function, side by side.
    // The period far from over when the guest is out: the stop is a shutdown, and the watch is handed back.
    const until = new Date(Date.now() + 60_000).toISOString();
    const [badRun, upRun, downRun] = await Promise.allSettled(
      ['bad', 'up', 'down'].map((account) =>
        runAccountJob(runtimes, { job: 'watch', account, until }, stop.signal),
      ),
    );

    expect(upRun).toMatchObject({
      status: 'fulfilled',
      value: { done: 'watch', account: 'up', cutShort: true },
    });
    expect(downRun?.status).toBe('rejected');
    expect(badRun).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/^Setting ACCOUNT__bad__GATEKEEPER_POLICY: /) },
    });
    expect(up.actions.filter((a) => a.kind === 'reject').map((a) => a.participantUri)).toEqual([guest.uri]);
    // What failed says which account it was, in the log and in telemetry.
    expect(
      logs.filter((l) => l.level !== 'info' && l.account !== 'typo').every((l) => l.account === 'down'),
    ).toBe(true);
    expect(logs.filter((l) => l.account === 'typo').map((l) => l.message)).toEqual([
      'An account is left out: its settings cannot be read',
    ]);
    expect(telemetry.exceptions.map((e) => e.properties?.account)).toEqual(['down']);
    const upRuntime = await runtimes.first();
    expect(upRuntime.account).toBe('up');
    expect((await upRuntime.outbox.drain({ sinks: [] })).pending).toBe(1);

    // The health report says the same, account by account.
    const report = await checkAccountsHealth(env, runtimes, upRuntime.now().getTime());
    expect(report.status).toBe('degraded');
    expect(report.accounts?.up?.checks).toMatchObject({ ucwa: { ok: true }, eventChannel: { ok: true } });
    expect(report.accounts?.up?.checks.jobs).toBeUndefined();
    expect(report.accounts?.down?.checks).toMatchObject({ ucwa: { ok: false }, jobs: { ok: false } });
    expect(report.accounts?.bad?.checks.runtime?.detail).toMatch(
      /^Setting ACCOUNT__bad__GATEKEEPER_POLICY: /,
    );
    expect(report.accounts?.typo?.checks.settings?.detail).toMatch(
      /^Setting ACCOUNT__typo__GATEKEEPER_MODE: /,
    );
    expect(Object.keys(report.jobs ?? {}).sort()).toEqual([
      'watchEvents [bad]',
      'watchEvents [down]',
      'watchEvents [up]',
    ]);
  });

  it("two accounts on one server: each removes its own meeting's guest, and no request carries the other's token", async () => {
    const sim = await startSim({
      moreAccounts: [{ uri: 'sip:townhall@contoso.com', name: 'Town Hall', password: 'T0wn-hall!' }],
    });
    sims.push(sim);
    const gk = sim.credentials;
    const townhall = sim.user('townhall@contoso.com');
    const meetings = {
      gk: { uri: `${MEETING_URI}GK`, scenario: sim.scenario },
      townhall: { uri: `${MEETING_URI}TH`, scenario: townhall.scenario },
    };
    const namespace = `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const runtimes = new AccountRuntimes(
      {
        AzureWebJobsStorage: inject('azuriteConnectionString'),
        UCWA_DISCOVERY_URL: sim.discoveryUrl,
        // The real sign-in path: each account's own password grant at the server's token endpoint.
        AUTH_MODE: 'sfb-server',
        GATEKEEPER_MODE: 'enforce',
        GATEKEEPER_ACCOUNTS: 'gk,townhall',
        ACCOUNT__gk__UCWA_USERNAME: gk.username,
        ACCOUNT__gk__UCWA_PASSWORD: gk.password,
        ACCOUNT__gk__WATCHED_MEETINGS: meetings.gk.uri,
        ACCOUNT__townhall__UCWA_USERNAME: townhall.credentials.username,
        ACCOUNT__townhall__UCWA_PASSWORD: townhall.credentials.password,
        ACCOUNT__townhall__WATCHED_MEETINGS: meetings.townhall.uri,
      },
      (account) =>
        createRuntime(account.settings, {
          account: account.id,
          namespace,
          log: { info: () => {}, warn: () => {}, error: () => {} },
          telemetry: new MemoryTelemetry(),
          now: worldClock(),
          ucwa: { eventChannel: { timeoutSec: 1, marginMs: 5_000 }, retry: { baseMs: 5, maxMs: 20 } },
        }),
    );
    const guests = {
      gk: { ...guest, name: 'Anonymous GK', uri: 'sip:anon-gk@public.example' },
      townhall: { ...guest, name: 'Anonymous TH', uri: 'sip:anon-th@public.example' },
    };
    for (const id of ['gk', 'townhall'] as const) {
      const meeting = meetings[id].scenario.meeting({
        onlineMeetingUri: meetings[id].uri,
        subject: id,
        accountIsLeader: true,
      });
      void meeting.whenJoined().then(() => meeting.knock(guests[id]));
    }
    const removed = (uri: string) => sim.actions.some((a) => a.kind === 'reject' && a.participantUri === uri);
    const stop = new AbortController();
    const both = setInterval(() => {
      if (removed(guests.gk.uri) && removed(guests.townhall.uri)) stop.abort();
    }, 20);
    try {
      const until = new Date(Date.now() + 8_000).toISOString();
      await Promise.all(
        ['gk', 'townhall'].map((account) =>
          runAccountJob(runtimes, { job: 'watch', account, until }, stop.signal),
        ),
      );
    } finally {
      clearInterval(both);
    }

    expect(
      sim.actions
        .filter((a) => a.kind === 'reject')
        .map((a) => a.participantUri)
        .sort(),
    ).toEqual([guests.gk.uri, guests.townhall.uri].sort());
    const underApplications = sim.requests.flatMap((request) => {
      const id = /\/applications\/(\d+)/.exec(request.path)?.[1];
      return id ? [{ token: sim.tokenUser(request.authorization), owner: sim.applicationUser(id) }] : [];
    });
    expect(new Set(underApplications.map((r) => r.owner))).toEqual(
      new Set([gk.username.toLowerCase(), townhall.credentials.username.toLowerCase()]),
    );
    expect(underApplications.filter((r) => r.token !== r.owner)).toEqual([]);
  });
});
