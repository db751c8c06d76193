import { DEFAULT_ACCOUNT } from '../shared/app/accounts.js';
import type { Runtime } from '../shared/app/runtime.js';

/** ` [id]` after a job's name in the host's log, when the deployment guards named accounts. */
export const account = (rt: Pick<Runtime, 'account'>) =>
  rt.account === DEFAULT_ACCOUNT ? '' : ` [${rt.account}]`;
