import { LogLevel, type NodeSystemOptions } from '@azure/msal-node';
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

const MSAL_LEVELS: Record<AuthLogLevel, LogLevel> = {
  error: LogLevel.Error,
  warning: LogLevel.Warning,
  info: LogLevel.Info,
  verbose: LogLevel.Verbose,
};

function fromMsalLevel(level: LogLevel): AuthLogLevel {
  if (level === LogLevel.Error) return 'error';
  if (level === LogLevel.Warning) return 'warning';
  if (level === LogLevel.Info) return 'info';
  return 'verbose';
}

/** MSAL logger options: PII off, every message through the redacting log. */
type LoggerOptions = NonNullable<NodeSystemOptions['loggerOptions']>;

export function msalLoggerOptions(log: AuthLog, minimum: AuthLogLevel): LoggerOptions {
  return {
    piiLoggingEnabled: false,
    logLevel: MSAL_LEVELS[minimum],
    loggerCallback: (level, message, containsPii) => {
      if (!containsPii) log(fromMsalLevel(level), `msal: ${message}`);
    },
  };
}
