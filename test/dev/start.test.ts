import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('runs the demo end to end, and Ctrl-C leaves no process behind', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', NODE_EXTRA_CA_CERTS: '' };
    for (const name of Object.keys(env))
      if (/^(UCWA_|AZURE_|CHAT_|GATEKEEPER_|AzureWebJobsStorage)/.test(name)) delete env[name];
    // Its own process group, as a terminal gives a foreground job: Ctrl-C signals the whole group.
    const child = spawn('npm', ['start', '--silent'], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid ?? 0;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    try {
      await expect.poll(() => output, { timeout: 60_000, interval: 250 }).toContain('Demo complete');

      // Every IM and the call summarised; every anonymous guest ejected; the colleague left alone.
      expect(output).toContain('▶ [gatekeeper] messaging from Lene Aaling');
      expect(output).toContain('▶ [gatekeeper] messaging from Jan Novak');
      expect(output).toContain('▶ [gatekeeper] messaging from Free Gift Cards');
      expect(output).toContain('▶ [gatekeeper] phoneAudio from Jan Novak');
      // Three accounts, two on one server and one on another, each line naming its own: the anonymous
      // guests (three in demo.json, two in demo-townhall.json, one in demo-exec.json), still waiting in the
      // lobby, so rejected (reject_ref.md), not ejected; 'Demo complete' waits until every account handled
      // every event and every notice was delivered.
      const removals = [
        ...output.matchAll(/▶ \[(\w+)\] lobby of "([^"]+)": .*\n.*done: rejected from the lobby/g),
      ];
      expect(removals.map(([, account, meeting]) => `${account}: ${meeting}`).sort()).toEqual([
        'exec: Board prep',
        'gatekeeper: Quarterly review',
        'gatekeeper: Quarterly review',
        'gatekeeper: Quarterly review',
        'townhall: All-hands',
        'townhall: All-hands',
      ]);
      expect(output).toContain(
        'Demo complete: Tally: 4 invitations · 6 anonymous knocks · 6 removed · 0 failures across 3 accounts.',
      );

      process.kill(-pgid, 'SIGINT');
      await expect.poll(() => exited, { timeout: 15_000 }).toBe(true);
      await expect.poll(() => groupAlive(pgid), { timeout: 10_000 }).toBe(false);
    } catch (error) {
      // Each wait is bounded on its own; a failure shows what the demo printed last.
      throw new Error(
        `${String(error)}\n--- npm start printed (last 3000 chars) ---\n${output.slice(-3000)}`,
      );
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  }, 90_000);
});
