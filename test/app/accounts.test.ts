import { describe, expect, it } from 'vitest';
import { chooseAccount, DEFAULT_ACCOUNT, parseAccounts } from '../../shared/app/accounts.js';

const SHARED = {
  UCWA_DISCOVERY_URL: 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root',
  UCWA_USERNAME: 'gatekeeper@contoso.com',
  UCWA_PASSWORD: 'shared-secret',
  GATEKEEPER_MODE: 'dry-run',
};

const problemsOf = (env: Record<string, string>) =>
  parseAccounts(env).problems.map(({ account, error }) => [account, error.message]);

describe('accounts as settings', () => {
  it('without GATEKEEPER_ACCOUNTS, the single-account settings are the one account', () => {
    const { accounts, problems } = parseAccounts(SHARED);
    expect(problems).toEqual([]);
    expect(accounts.map((a) => [a.id, a.settings.UCWA_USERNAME])).toEqual([
      [DEFAULT_ACCOUNT, 'gatekeeper@contoso.com'],
    ]);
  });

  it('each listed account inherits the shared settings and overrides its own', () => {
    const { accounts, problems } = parseAccounts({
      ...SHARED,
      GATEKEEPER_ACCOUNTS: 'townhall, exec',
      ACCOUNT__townhall__UCWA_USERNAME: 'townhall@contoso.com',
      ACCOUNT__townhall__GATEKEEPER_MODE: 'enforce',
      ACCOUNT__exec__UCWA_DISCOVERY_URL:
        'https://lyncdiscover.fabrikam.com/autodiscover/autodiscoverservice.svc/root',
    });
    expect(problems).toEqual([]);
    expect(
      accounts.map((a) => [
        a.id,
        a.settings.UCWA_USERNAME,
        a.settings.GATEKEEPER_MODE,
        a.settings.UCWA_DISCOVERY_URL,
      ]),
    ).toEqual([
      ['townhall', 'townhall@contoso.com', 'enforce', SHARED.UCWA_DISCOVERY_URL],
      ['exec', 'gatekeeper@contoso.com', 'dry-run', expect.stringContaining('fabrikam')],
    ]);
    expect([...(accounts[0]?.own ?? [])].sort()).toEqual(['GATEKEEPER_MODE', 'UCWA_USERNAME']);
  });

  it.each([
    [
      'a bad value names the scoped setting, and only that account is left out',
      { ACCOUNT__exec__GATEKEEPER_MODE: 'sometimes' },
      ['townhall'],
      [['exec', expect.stringMatching(/^Setting ACCOUNT__exec__GATEKEEPER_MODE: /)]],
    ],
    [
      'a setting an account cannot set (a typo, a shared one) leaves it out: it would silently not apply',
      { ACCOUNT__exec__GATEKEEPER_MOD: 'enforce', ACCOUNT__exec__AZURE_CLIENT_ID: 'x' },
      ['townhall'],
      [
        [
          'exec',
          expect.stringContaining('ACCOUNT__exec__GATEKEEPER_MOD: is not a setting an account can set'),
        ],
        [
          'exec',
          expect.stringContaining('ACCOUNT__exec__AZURE_CLIENT_ID: is not a setting an account can set'),
        ],
      ],
    ],
    [
      'a scoped setting of an account not listed is reported; the listed ones go on',
      {
        ACCOUNT__helpdesk__UCWA_USERNAME: 'helpdesk@contoso.com',
        ACCOUNT__exec__UCWA_USERNAME: 'exec@contoso.com',
      },
      ['townhall', 'exec'],
      [['helpdesk', expect.stringContaining('names an account GATEKEEPER_ACCOUNTS does not list')]],
    ],
    [
      'a second account signing in as the same user on the same server is left out (it would guard twice)',
      { ACCOUNT__townhall__UCWA_USERNAME: 'th@contoso.com', ACCOUNT__exec__UCWA_USERNAME: 'TH@contoso.com' },
      ['townhall'],
      [
        [
          'exec',
          expect.stringMatching(/^Setting ACCOUNT__exec__UCWA_USERNAME: signs in as account townhall does/),
        ],
      ],
    ],
    [
      'an id that is not one (upper case, a hyphen) is reported',
      { GATEKEEPER_ACCOUNTS: 'townhall,Exec-1' },
      ['townhall'],
      [['Exec-1', expect.stringContaining('is not an account id')]],
    ],
  ])('%s', (_label, extra, ids, problems) => {
    const env = { ...SHARED, GATEKEEPER_ACCOUNTS: 'townhall,exec', ...extra };
    expect(parseAccounts(env).accounts.map((a) => a.id)).toEqual(ids);
    expect(problemsOf(env)).toEqual(problems);
  });

  it('each listed account needs a user name: its token cache and application are keyed by it', () => {
    const { UCWA_USERNAME: _shared, ...withoutUser } = SHARED;
    const env = {
      ...withoutUser,
      AUTH_MODE: 'device-code',
      GATEKEEPER_ACCOUNTS: 'townhall,exec',
      ACCOUNT__townhall__UCWA_USERNAME: 'townhall@contoso.com',
      ACCOUNT__exec__UCWA_DISCOVERY_URL:
        'https://lyncdiscover.fabrikam.com/autodiscover/autodiscoverservice.svc/root',
    };
    expect(parseAccounts(env).accounts.map((a) => a.id)).toEqual(['townhall']);
    expect(problemsOf(env)).toEqual([
      ['exec', 'Setting ACCOUNT__exec__UCWA_USERNAME: is required for each listed account'],
    ]);
  });

  it('a bad value never appears in the problem (it may be a secret)', () => {
    const env = {
      ...SHARED,
      GATEKEEPER_ACCOUNTS: 'exec',
      ACCOUNT__exec__CHAT_WEBHOOK_URL: 'http://secret-token.example/',
    };
    expect(JSON.stringify(problemsOf(env))).not.toContain('secret-token');
  });

  it('a bad shared setting is every account’s: it throws, naming the setting', () => {
    expect(() => parseAccounts({ ...SHARED, GATEKEEPER_ACCOUNTS: 'exec', GATEKEEPER_MODE: 'x' })).toThrow(
      /Setting GATEKEEPER_MODE/,
    );
  });
});

describe('chooseAccount (npm run auth:login -- --account …)', () => {
  const { accounts } = parseAccounts({
    ...SHARED,
    GATEKEEPER_ACCOUNTS: 'townhall,exec',
    ACCOUNT__townhall__UCWA_USERNAME: 'TownHall@contoso.com',
  });

  it.each([
    ['by id', 'exec', 'exec'],
    ['by user name, in any case', 'townhall@CONTOSO.com', 'townhall'],
  ])('%s', (_label, wanted, id) => {
    expect(chooseAccount(accounts, wanted).id).toBe(id);
  });

  it('asks which one when there are several, and names the accounts', () => {
    expect(() => chooseAccount(accounts, undefined)).toThrow(/--account <id> \(townhall, exec\)/);
    expect(() => chooseAccount(accounts, 'helpdesk')).toThrow(/no account helpdesk/);
  });

  it('takes the only account without being told', () => {
    expect(chooseAccount(parseAccounts(SHARED).accounts, undefined).id).toBe(DEFAULT_ACCOUNT);
  });
});
