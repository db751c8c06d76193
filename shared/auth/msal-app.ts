import {
  ConfidentialClientApplication,
  type Configuration,
  type IConfidentialClientApplication,
  type IPublicClientApplication,
  LogLevel,
  type NodeSystemOptions,
  PublicClientApplication,
} from '@azure/msal-node';
import type { AuthLog, AuthLogLevel } from './auth-log.js';
import { authorityConfig } from './authority.js';
import type { MsalCommonOptions } from './options.js';

export function msalConfiguration(
  options: MsalCommonOptions & { clientSecret?: string },
  log: AuthLog,
): Configuration {
  const { authority, knownAuthorities } = authorityConfig(options.authorityHost, options.tenantId);
  return {
    auth: {
      clientId: options.clientId,
      authority,
      ...(knownAuthorities.length > 0 ? { knownAuthorities } : {}),
      ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
    },
    ...(options.cachePlugin ? { cache: { cachePlugin: options.cachePlugin } } : {}),
    system: {
      loggerOptions: msalLoggerOptions(log, options.logLevel ?? 'warning'),
      ...(options.networkClient ? { networkClient: options.networkClient } : {}),
    },
  };
}

export type MsalApp = IPublicClientApplication | IConfidentialClientApplication;

/** Confidential when a client secret is given, else public. Construction sends no request. */
export function createMsalApp(options: MsalCommonOptions & { clientSecret?: string }, log: AuthLog): MsalApp {
  const configuration = msalConfiguration(options, log);
  return options.clientSecret
    ? new ConfidentialClientApplication(configuration)
    : new PublicClientApplication(configuration);
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
