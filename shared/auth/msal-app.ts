import {
  ConfidentialClientApplication,
  type Configuration,
  type IConfidentialClientApplication,
  type IPublicClientApplication,
  PublicClientApplication,
} from '@azure/msal-node';
import { type AuthLog, msalLoggerOptions } from './auth-log.js';
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
