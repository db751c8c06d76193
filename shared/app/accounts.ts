import { parseSettings, type SettingName, type Settings, SettingsError } from '../config.js';

/**
 * The accounts one deployment guards, as app settings: `GATEKEEPER_ACCOUNTS` lists their ids and each takes
 * its own values as `ACCOUNT__<id>__<SETTING>`, inheriting every other from the unprefixed settings. Chosen
 * over a JSON document or a table: an administrator changes them where they change every other setting,
 * without a redeployment; each secret stays one setting (a Key Vault reference in Azure, read with the
 * managed identity); and every value is checked by the one settings schema, with errors naming the setting.
 */

/** What an account may set for itself; the app registration, storage, telemetry and retention are shared. */
export const ACCOUNT_SETTINGS = [
  'UCWA_DISCOVERY_URL',
  'UCWA_ALLOWED_ORIGINS',
  'UCWA_KEEPALIVE_SECONDS',
  'AUTH_MODE',
  'UCWA_USERNAME',
  'UCWA_PASSWORD',
  'GATEKEEPER_MODE',
  'GATEKEEPER_POLICY',
  'WATCHED_MEETINGS',
  'CHAT_TEAMS_WEBHOOK_URL',
  'CHAT_SLACK_WEBHOOK_URL',
  'CHAT_WEBHOOK_URL',
  'CHAT_WEBHOOK_SECRET',
  'CHAT_UCWA_IM_TO',
] as const satisfies readonly SettingName[];

type AccountSetting = (typeof ACCOUNT_SETTINGS)[number];

/** The one account of a deployment that lists none: its state keeps the names it had before accounts. */
export const DEFAULT_ACCOUNT = 'default';

/**
 * Lower case letters and digits: an id prefixes the account's table names (letters and digits only) and
 * names its settings (app setting names are case-sensitive on Linux: one spelling each).
 */
const ACCOUNT_ID = /^[a-z][a-z0-9]{0,23}$/;
const SCOPED = /^ACCOUNT__(.+?)__(.+)$/;

export interface Account {
  id: string;
  settings: Settings;
  /** The settings this account set for itself (`ACCOUNT__<id>__…`), to name them in errors. */
  own: ReadonlySet<string>;
}

/** An account left out, or a scoped setting no account reads; the others go on. */
export interface AccountProblem {
  account: string;
  error: SettingsError;
}

export const accountSetting = (id: string, name: string) => `ACCOUNT__${id}__${name}`;

/**
 * Every account the environment describes, each checked on its own: one with a bad setting is reported and
 * left out, never stopping the others. A bad shared setting throws (it would be every account's).
 */
export function parseAccounts(env: Record<string, string | undefined>): {
  accounts: Account[];
  problems: AccountProblem[];
} {
  const shared = parseSettings(env);
  if (shared.GATEKEEPER_ACCOUNTS.length === 0)
    return { accounts: [{ id: DEFAULT_ACCOUNT, settings: shared, own: new Set() }], problems: [] };
  const ids = [...new Set(shared.GATEKEEPER_ACCOUNTS)];
  const problems: AccountProblem[] = [];
  const scoped = scopedSettings(env, new Set(ids), problems);
  const accounts: Account[] = [];
  for (const id of ids) {
    if (!ACCOUNT_ID.test(id)) {
      problems.push({
        account: id,
        error: new SettingsError(
          'GATEKEEPER_ACCOUNTS',
          `"${id}" is not an account id (a lower case letter, then up to 23 lower case letters or digits)`,
        ),
      });
      continue;
    }
    const own = scoped.get(id) ?? new Map<AccountSetting, string>();
    if (problems.some((problem) => problem.account === id)) continue;
    try {
      const settings = parseSettings({ ...env, ...Object.fromEntries(own) });
      // Its user name keys its token cache and its application: without one, two accounts could share them.
      if (!settings.UCWA_USERNAME) {
        problems.push({
          account: id,
          error: new SettingsError(
            accountSetting(id, 'UCWA_USERNAME'),
            'is required for each listed account',
          ),
        });
        continue;
      }
      // Two accounts signing in as the same user would guard the same meetings twice: fail closed on the later.
      const twin = accounts.find((other) => sameSignIn(other.settings, settings));
      if (twin) {
        problems.push({
          account: id,
          error: new SettingsError(
            accountSetting(id, 'UCWA_USERNAME'),
            `signs in as account ${twin.id} does (same server and user): set the account's own`,
          ),
        });
        continue;
      }
      accounts.push({ id, settings, own: new Set(own.keys()) });
    } catch (error) {
      problems.push({ account: id, error: scopedError(id, new Set(own.keys()), error) });
    }
  }
  return { accounts, problems };
}

/** The account a command is about (`auth:login`): the only one, or the one named (by id or user name). */
export function chooseAccount(accounts: readonly Account[], wanted: string | undefined): Account {
  const [only] = accounts;
  if (wanted === undefined) {
    if (only && accounts.length === 1) return only;
    throw new SettingsError(
      'GATEKEEPER_ACCOUNTS',
      `lists several accounts: say which with -- --account <id> (${accounts.map((a) => a.id).join(', ')})`,
    );
  }
  const found = accounts.find(
    (account) =>
      account.id === wanted || account.settings.UCWA_USERNAME?.toLowerCase() === wanted.toLowerCase(),
  );
  if (!found)
    throw new SettingsError(
      'GATEKEEPER_ACCOUNTS',
      `has no account ${wanted} (or it was left out: see above)`,
    );
  return found;
}

function sameSignIn(a: Settings, b: Settings): boolean {
  const user = (s: Settings) => s.UCWA_USERNAME?.toLowerCase() ?? '';
  return a.UCWA_DISCOVERY_URL === b.UCWA_DISCOVERY_URL && user(a) === user(b);
}

/** A SettingsError about a setting the account set itself names the scoped setting. */
export function scopedError(id: string, own: ReadonlySet<string>, error: unknown): SettingsError {
  if (!(error instanceof SettingsError)) throw error;
  return own.has(error.setting)
    ? new SettingsError(accountSetting(id, error.setting), error.problem)
    : new SettingsError(error.setting, `${error.problem} (for account ${id})`);
}

/** The `ACCOUNT__<id>__<SETTING>` values by account; one naming no listed account or no account setting is a problem. */
function scopedSettings(
  env: Record<string, string | undefined>,
  ids: ReadonlySet<string>,
  problems: AccountProblem[],
): Map<string, Map<AccountSetting, string>> {
  const byAccount = new Map<string, Map<AccountSetting, string>>();
  const accountSettings: ReadonlySet<string> = new Set(ACCOUNT_SETTINGS);
  for (const [name, raw] of Object.entries(env)) {
    const match = SCOPED.exec(name);
    const value = raw?.trim();
    if (!match || !value) continue;
    const [, id = '', setting = ''] = match;
    if (!ids.has(id)) {
      problems.push({
        account: id,
        error: new SettingsError(name, `names an account GATEKEEPER_ACCOUNTS does not list`),
      });
    } else if (!accountSettings.has(setting)) {
      // Fail closed: a setting the account would silently not get (a typo, a shared one) leaves it out.
      problems.push({
        account: id,
        error: new SettingsError(
          name,
          `is not a setting an account can set (${ACCOUNT_SETTINGS.join(', ')})`,
        ),
      });
    } else {
      const own = byAccount.get(id) ?? new Map<AccountSetting, string>();
      own.set(setting as AccountSetting, value);
      byAccount.set(id, own);
    }
  }
  return byAccount;
}
