import { redact } from './redact.js';

export type AuthLogLevel = 'error' | 'warning' | 'info' | 'verbose';

/** Where the auth layer writes diagnostics. Messages are already redacted. */
export type AuthLog = (level: AuthLogLevel, message: string) => void;

const ORDER: Record<AuthLogLevel, number> = { error: 0, warning: 1, info: 2, verbose: 3 };

/** Default sink: warnings and errors to the console. */
export const consoleAuthLog: AuthLog = (level, message) => {
  if (level === 'error') console.error(`[auth] ${message}`);
  else if (level === 'warning') console.warn(`[auth] ${message}`);
};

/** A log that drops entries below `minimum` and redacts `secrets` and token-like strings. */
export function filteredLog(
  log: AuthLog,
  minimum: AuthLogLevel,
  secrets: Iterable<string | undefined> = [],
): AuthLog {
  const known = [...secrets];
  return (level, message) => {
    if (ORDER[level] <= ORDER[minimum]) log(level, redact(message, known));
  };
}
