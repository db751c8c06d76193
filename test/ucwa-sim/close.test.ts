import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client, startSim } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('close()', () => {
  it('leaves nothing behind: a process that used and closed a simulator exits by itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/close-cleanly.ts')], {
      cwd: join(here, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (exitCode) => {
        clearTimeout(killer);
        resolve(exitCode);
      });
    });
    expect(output).toContain('closed');
    expect(code, output).toBe(0);
    expect(output).toContain('"cancelled":true');
    expect(output).toContain('handles after close: {"timers":0,"connections":0,"listening":0}');
    // The check above can fail: before close, timers, connections and listeners were all in use.
    const before = JSON.parse(/handles before close: (\{.*\})/.exec(output)?.[1] ?? '{}');
    expect(before.timers).toBeGreaterThanOrEqual(3);
    expect(before.connections).toBeGreaterThanOrEqual(2);
    expect(before.listening).toBe(3);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('stops listening, settles a parked P-GET, and can be called twice', async () => {
    const sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    const isParked = new Promise<void>((resolve) => sim.on('parked', () => resolve()));
    const parked = client.get(`${app._links.events.href}&timeout=60`).then(
      (reply) => reply.status,
      () => 'closed',
    );
    await isParked;
    expect(sim.openHandles().timers).toBeGreaterThan(0);
    await Promise.all([sim.close(), sim.close()]);
    expect(['closed', 404]).toContain(await parked);
    expect(sim.openHandles()).toEqual({ timers: 0, connections: 0, listening: 0 });
    await expect(fetch(sim.discoveryUrl)).rejects.toThrow();
  });
});
