/**
 * `npm run auth:login`: signs the UCWA service account in once with the device code flow (AUTH_MODE
 * device-code). The refresh token lands in the blob token cache, where the functions pick it up.
 * Reads the same settings as the functions (environment, or local.settings.json's Values when present).
 * With several accounts (GATEKEEPER_ACCOUNTS), `-- --account <id or user name>` says which one: its cache
 * blob is its own (named by its user name), and a sign-in as anyone else is refused.
 */
import { readFile } from 'node:fs/promises';
import { chooseAccount, parseAccounts } from '../shared/app/accounts.js';
import { deviceCodeOptionsFromSettings } from '../shared/app/token-source-factory.js';
import { signInWithDeviceCode } from '../shared/auth/device-code-login.js';
import { TokenSourceError } from '../shared/auth/errors.js';
import { SettingsError } from '../shared/config.js';

/** `local.settings.json` Values, which the Functions host would load; the real environment wins. */
async function localSettings(): Promise<Record<string, string>> {
  try {
    const parsed = JSON.parse(await readFile('local.settings.json', 'utf8')) as {
      Values?: Record<string, unknown>;
    };
    return Object.fromEntries(
      Object.entries(parsed.Values ?? {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}

async function main(): Promise<number> {
  const env = { ...(await localSettings()), ...process.env };
  const flag = process.argv.indexOf('--account');
  const { accounts, problems } = parseAccounts(env);
  for (const { error } of problems) console.error(`auth:login: an account is left out: ${error.message}`);
  const { settings } = chooseAccount(accounts, flag >= 0 ? (process.argv[flag + 1] ?? '') : undefined);
  const options = deviceCodeOptionsFromSettings(settings, env, {
    log: (level, message) => console.error(`[auth:${level}] ${message}`),
  });
  console.log(`Signing in to tenant ${options.tenantId} as app ${options.clientId}.`);
  const { username } = await signInWithDeviceCode(
    options,
    (prompt) => {
      console.log(
        `\n${prompt.message}\n(code valid for ${Math.round(prompt.expiresInSeconds / 60)} minutes)\n`,
      );
    },
    settings.UCWA_DISCOVERY_URL ? { ucwaUrl: settings.UCWA_DISCOVERY_URL } : {},
  );
  console.log(`Signed in as ${username}. The token cache is stored; the functions will use it from now on.`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Our errors carry safe messages; anything else is reported by name only, in case it holds a secret.
    const known = error instanceof SettingsError || error instanceof TokenSourceError;
    console.error(
      `auth:login failed: ${known ? (error as Error).message : ((error as Error)?.name ?? 'error')}`,
    );
    process.exitCode = 1;
  },
);
