import { format } from 'node:util';
import type { AuthLog, AuthLogLevel } from '../../shared/auth/auth-log.js';

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';
const CONSOLE_METHODS: ConsoleMethod[] = ['log', 'info', 'warn', 'error', 'debug', 'trace'];

/** Collects everything the auth layer logs and everything written to the console while active. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly #restore: Array<() => void> = [];

  /** An AuthLog that records into this capture. */
  readonly log: AuthLog = (level: AuthLogLevel, message: string) => {
    this.lines.push(`${level}: ${message}`);
  };

  /** Also record console output (still printed nowhere else, to keep test output quiet). */
  captureConsole(): this {
    for (const method of CONSOLE_METHODS) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        this.lines.push(`console.${method}: ${format(...args)}`);
      };
      this.#restore.push(() => {
        console[method] = original;
      });
    }
    return this;
  }

  restore(): void {
    for (const undo of this.#restore.splice(0)) undo();
  }

  get text(): string {
    return this.lines.join('\n');
  }
}
