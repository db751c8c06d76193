import { PublicClientApplication } from '@azure/msal-node';
import { consoleAuthLog, filteredLog } from './auth-log.js';
import { errorCode, TokenSourceError } from './errors.js';
import { msalConfiguration } from './msal-app.js';
import type { DeviceCodeModeOptions } from './options.js';
import { resourceOrigin, ucwaScopes } from './scopes.js';

/** What the operator must do: open `verificationUri` and type `userCode`. */
export interface DeviceCodePrompt {
  message: string;
  userCode: string;
  verificationUri: string;
  expiresInSeconds: number;
}

export interface DeviceCodeLoginOptions {
  /**
   * UCWA URL (e.g. the discovery URL) whose origin the first token is for. Optional: the refresh token is
   * good for every origin; without it only the sign-in scopes are requested.
   */
  ucwaUrl?: string;
  /** Stop waiting after this many seconds; default: until the device code expires. */
  timeoutSeconds?: number;
}

/**
 * The `npm run auth:login` logic: device-code sign-in, leaving the account and its refresh token in the
 * persisted cache (the options' cache plugin) for the device-code token source.
 */
export async function signInWithDeviceCode(
  options: Omit<DeviceCodeModeOptions, 'mode'>,
  prompt: (instructions: DeviceCodePrompt) => void | Promise<void>,
  login: DeviceCodeLoginOptions = {},
): Promise<{ username: string }> {
  const log = filteredLog(options.log ?? consoleAuthLog, options.logLevel ?? 'warning');
  const app = new PublicClientApplication(msalConfiguration(options, log));
  const scopes = login.ucwaUrl ? ucwaScopes(resourceOrigin(login.ucwaUrl)) : [];
  let username: string | undefined;
  try {
    const result = await app.acquireTokenByDeviceCode({
      scopes,
      deviceCodeCallback: (response) => {
        void prompt({
          message: response.message,
          userCode: response.userCode,
          verificationUri: response.verificationUri,
          expiresInSeconds: response.expiresIn,
        });
      },
      ...(login.timeoutSeconds ? { timeout: login.timeoutSeconds } : {}),
    });
    username = result?.account?.username;
  } catch (error) {
    const code = errorCode(error);
    throw new TokenSourceError(code, `Device code sign-in failed (${code}).`);
  }
  if (!username) throw new TokenSourceError('no_account', 'The sign-in returned no account.');
  if (options.username && options.username.toLowerCase() !== username.toLowerCase()) {
    throw new TokenSourceError(
      'wrong_account',
      `Signed in as ${username}, but UCWA_USERNAME names ${options.username}; sign in with that account.`,
    );
  }
  return { username };
}
