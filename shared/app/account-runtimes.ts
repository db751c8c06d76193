import { consoleLogger, type Logger } from '../gatekeeper/logger.js';
import { type Account, type AccountProblem, parseAccounts, scopedError } from './accounts.js';
import { createRuntime, type Runtime } from './runtime.js';

export type BuildRuntime = (account: Account) => Promise<Runtime>;

/**
 * The runtimes of every guarded account, each built on first use, apart: one account's failure (its
 * credentials, its server, its policy) is its own. The timers fan the jobs out per account (account-jobs.ts).
 */
export class AccountRuntimes {
  private parsed: { accounts: Account[]; problems: AccountProblem[] } | undefined;
  private readonly built = new Map<string, Promise<Runtime>>();

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly build: BuildRuntime = (account) =>
      createRuntime(account.settings, { account: account.id }),
    private readonly log: Logger = consoleLogger,
  ) {}

  /** The accounts the settings describe, read once; each one left out is logged once, naming its setting. */
  accounts(): { accounts: Account[]; problems: AccountProblem[] } {
    if (!this.parsed) {
      this.parsed = parseAccounts(this.env);
      for (const { account, error } of this.parsed.problems)
        this.log.error('An account is left out: its settings cannot be read', {
          account,
          error: error.message,
        });
    }
    return this.parsed;
  }

  /** The runtime of one account, built once; a failed build is tried again on the next call. */
  runtimeOf(account: Account): Promise<Runtime> {
    let runtime = this.built.get(account.id);
    if (!runtime) {
      runtime = Promise.resolve()
        .then(() => this.build(account))
        .catch((error: unknown) => {
          this.built.delete(account.id);
          throw scopedError(account.id, account.own, error);
        });
      this.built.set(account.id, runtime);
    }
    return runtime;
  }

  /**
   * The first account whose runtime builds: what admits HTTP requests (the inbound settings are the
   * deployment's). One account whose runtime cannot be built (a policy that does not parse) must not shut
   * the routes for the others; when none builds, the first one's error.
   */
  async first(): Promise<Runtime> {
    const { accounts } = this.accounts();
    let failure: unknown;
    for (const account of accounts) {
      try {
        return await this.runtimeOf(account);
      } catch (error) {
        failure ??= error;
      }
    }
    throw failure ?? new Error('No account can be guarded: every one listed was left out (see the log)');
  }
}

let processRuntimes: AccountRuntimes | undefined;

/** The process's accounts, from its environment, read on first use (nothing runs at import). */
export function accountRuntimes(): AccountRuntimes {
  processRuntimes ??= new AccountRuntimes(process.env);
  return processRuntimes;
}

export const runtime = (): Promise<Runtime> => accountRuntimes().first();
