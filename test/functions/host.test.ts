import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LocalHost, startLocalHost } from '../../dev/host/local-host.js';
import { functionDefinitions } from '../../functions/registry.js';
import { captureHooks, captureRegistrations } from '../helpers/registrations.js';

let host: LocalHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  vi.unstubAllEnvs();
});

describe('local Functions host', () => {
  it('serves exactly what the real entry point registers', async () => {
    const registered = await captureRegistrations();
    host = await startLocalHost({
      definitions: functionDefinitions,
      port: 0,
      timers: false,
      log: () => undefined,
    });
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(registered.length).toBeGreaterThan(0);
    expect([...host.served].sort(byName)).toEqual([...registered].sort(byName));
  });

  it('registers the same from the deployed bundle (plain Node ESM, no TypeScript loader)', async () => {
    const { bundle } = await import('../../dev/bundle.js');
    const outdir = await mkdtemp(join(tmpdir(), 'gatekeeper-bundle-'));
    try {
      const fromBundle = await captureRegistrations(await bundle(outdir));
      const fromSource = await captureRegistrations();
      const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      expect([...fromBundle].sort(byName)).toEqual([...fromSource].sort(byName));
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 60_000);

  it('answers HTTP functions on /api/<route> and refuses other methods and routes', async () => {
    host = await startLocalHost({
      definitions: functionDefinitions,
      port: 0,
      timers: false,
      log: () => undefined,
    });
    // No timer job ran in this process: the anonymous answer says so, and only that.
    const health = await fetch(`${host.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'unknown' });
    // Settings the report cannot accept, whatever the machine's environment holds: degraded, saying why.
    vi.stubEnv('GATEKEEPER_MODE', 'sometimes');
    const report = await fetch(`${host.url}/api/health/report`);
    expect(report.status).toBe(503);
    expect(await report.json()).toMatchObject({
      status: 'degraded',
      checks: { settings: { ok: false, detail: expect.stringContaining('GATEKEEPER_MODE') } },
    });
    expect((await fetch(`${host.url}/api/health`, { method: 'POST' })).status).toBe(405);
    const missing = await fetch(`${host.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
  });

  it('runs a function now through the admin endpoint (202), as the real host does', async () => {
    let ran = 0;
    let tick!: () => void;
    const ticked = new Promise<void>((resolve) => {
      tick = resolve;
    });
    host = await startLocalHost({
      definitions: [
        {
          kind: 'timer',
          name: 'tick',
          schedule: '0 0 0 1 1 *',
          handler: async () => {
            ran++;
            tick();
          },
        },
      ],
      port: 0,
      timers: false,
      log: () => undefined,
    });
    const response = await fetch(`${host.url}/admin/functions/tick`, {
      method: 'POST',
      body: '{"input":""}',
    });
    expect(response.status).toBe(202);
    await ticked;
    expect(ran).toBe(1);
    expect((await fetch(`${host.url}/admin/functions/nope`, { method: 'POST', body: '{}' })).status).toBe(
      404,
    );
  });

  // `npm start` hung on Ctrl-C whenever the two SIGINTs it gets (terminal, launcher) arrived as one: close()
  // waited for the watch, which holds the channel until its deadline minutes away.
  it('on close, tells running functions to stop (as appTerminate hooks do) and waits for them', async () => {
    const stop = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finished = false;
    host = await startLocalHost({
      definitions: [
        {
          kind: 'timer',
          name: 'hold',
          schedule: '0 0 0 1 1 *',
          handler: async () => {
            started();
            await new Promise((resolve) => stop.signal.addEventListener('abort', resolve));
            finished = true;
          },
        },
      ],
      port: 0,
      timers: false,
      log: () => undefined,
      onClose: () => stop.abort(),
    });
    void host.invoke('hold');
    await running;
    await host.close();
    host = undefined;
    expect(finished).toBe(true);
  });

  it('the entry point stops the watch on a graceful shutdown (an appTerminate hook)', async () => {
    expect(await captureHooks()).toEqual(['appTerminate']);
  });
});
