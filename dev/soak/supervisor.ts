/**
 * Runs the worker (worker.ts) as a child process: starts it, SIGKILLs it on the plan's cue and starts the
 * next one after a seeded delay, restarts one that died by itself, and keeps every incarnation's output in
 * soak/worker-<n>.log. The children also exit when this process dies (their stdin pipe closes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** A worker that keeps dying by itself is not restarted for ever. */
const MAX_INCARNATIONS = 200;

export interface Incarnation {
  n: number;
  pid: number;
  startedAt: number;
  /** First line of output from the runtime: createRuntime finished. */
  readyAt?: number;
  endedAt?: number;
  /** Why it ended: a soak kill (with its trigger), the final stop, or by itself (exit code / signal). */
  end?:
    | { by: 'kill'; trigger: string }
    | { by: 'stop' }
    | { by: 'self'; code: number | null; signal: string | null };
}

/** What the worker said on stdout, one parsed JSON object per line. */
export type WorkerLine = { t: number; kind: string; n: number } & Record<string, unknown>;

export class Supervisor {
  readonly incarnations: Incarnation[] = [];
  readonly lines: WorkerLine[] = [];
  private child: ChildProcess | undefined;
  private current: Incarnation | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private logs: WriteStream[] = [];

  constructor(
    private readonly env: Record<string, string>,
    private readonly logDir: string,
  ) {}

  /** True while a worker process runs. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** The current incarnation's start time (undefined while none runs). */
  get startedAt(): number | undefined {
    return this.current?.startedAt;
  }

  start(): void {
    if (this.stopping || this.child || this.incarnations.length >= MAX_INCARNATIONS) return;
    const n = this.incarnations.length + 1;
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const incarnation: Incarnation = { n, pid: child.pid ?? -1, startedAt: Date.now() };
    this.incarnations.push(incarnation);
    this.child = child;
    this.current = incarnation;
    const log = createWriteStream(join(this.logDir, `worker-${n}.log`));
    this.logs.push(log);
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const text of parts) this.parse(text, incarnation);
    });
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    child.once('exit', (code, signal) => {
      incarnation.endedAt ??= Date.now();
      incarnation.end ??= { by: 'self', code, signal };
      log.end();
      if (this.child === child) {
        this.child = undefined;
        this.current = undefined;
      }
      // A worker that died by itself comes back, as the host would bring the function back.
      if (incarnation.end.by === 'self' && !this.stopping) this.scheduleStart(1_000);
    });
  }

  /** SIGKILL now (a crash at whatever step it was in); the next worker starts after `restartAfterMs`. */
  kill(trigger: string, restartAfterMs: number): Incarnation | undefined {
    const child = this.child;
    const incarnation = this.current;
    if (!child || !incarnation) return undefined;
    incarnation.endedAt = Date.now();
    incarnation.end = { by: 'kill', trigger };
    child.kill('SIGKILL');
    this.child = undefined;
    this.current = undefined;
    this.scheduleStart(restartAfterMs);
    return incarnation;
  }

  /** Make sure a worker runs (after the fault phase, a pending restart goes ahead at once). */
  ensureRunning(): void {
    if (this.child || this.stopping) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.start();
  }

  /** The orderly end: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    const incarnation = this.current;
    if (child && incarnation && child.exitCode === null && child.signalCode === null) {
      incarnation.end = { by: 'stop' };
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    await Promise.all(
      this.logs.map(
        (log) => new Promise<void>((resolve) => (log.writableFinished ? resolve() : log.end(resolve))),
      ),
    );
  }

  private scheduleStart(ms: number): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, ms);
  }

  private parse(text: string, incarnation: Incarnation): void {
    if (!text.startsWith('{')) return;
    try {
      const line = { ...(JSON.parse(text) as Record<string, unknown>), n: incarnation.n } as WorkerLine;
      if (line.kind === 'ready') incarnation.readyAt ??= line.t;
      this.lines.push(line);
    } catch {
      // Not one of ours (a library printing JSON-looking text): the log file still has it.
    }
  }
}
