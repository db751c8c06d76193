import { accountRuntimes } from '../shared/app/account-runtimes.js';
import { checkAccountsHealth, type HealthRuntimes, type JobBoard, jobBoard } from '../shared/app/health.js';
import type { HttpFunction } from './definition.js';

/** The anonymous answer: the last timer runs' status from memory; no details, no UCWA request, no storage. */
export function publicHealthHandler(board: JobBoard = jobBoard): HttpFunction['handler'] {
  return async () => {
    const status = board.status();
    return { status: status.status === 'degraded' ? 503 : 200, jsonBody: status };
  };
}

/** The full report; behind the function key. */
export function healthReportHandler(
  runtimes: () => HealthRuntimes = accountRuntimes,
  env: Record<string, string | undefined> = process.env,
  board: JobBoard = jobBoard,
): HttpFunction['handler'] {
  return async () => {
    const report = await checkAccountsHealth(env, runtimes(), Date.now(), board);
    return { status: report.status === 'ok' ? 200 : 503, jsonBody: report };
  };
}

/** GET /api/health, anonymous: probing it costs nothing and tells an outsider nothing but ok/degraded. */
export const health: HttpFunction = {
  kind: 'http',
  name: 'health',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: publicHealthHandler(),
};

/** GET /api/health/report, function key: settings, UCWA reachability, channel and token, the jobs' runs. */
export const healthReport: HttpFunction = {
  kind: 'http',
  name: 'healthReport',
  route: 'health/report',
  methods: ['GET'],
  authLevel: 'function',
  handler: healthReportHandler(),
};
