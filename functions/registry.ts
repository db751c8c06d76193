import { accountJob, watchAccount } from './accountJob.js';
import type { FunctionDefinition } from './definition.js';
import { digest } from './digest.js';
import { health, healthReport } from './health.js';
import { inspect } from './inspect.js';
import { purgeExpired } from './purgeExpired.js';
import { sweepLobbies } from './sweepLobbies.js';
import { ucwaEvents } from './ucwaEvents.js';
import { watchEvents } from './watchEvents.js';

/** Every function of the app: the one list both the Functions host and the local host read. */
export const functionDefinitions: readonly FunctionDefinition[] = [
  watchEvents,
  watchAccount,
  accountJob,
  ucwaEvents,
  sweepLobbies,
  digest,
  purgeExpired,
  inspect,
  health,
  healthReport,
];
