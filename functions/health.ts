import { runtime } from '../shared/gatekeeper/runtime.js';
import { checkHealth } from '../shared/health.js';
import type { HttpFunction } from './definition.js';

/** GET /api/health: settings valid, UCWA reachable, last event time, token expiry. No secrets. */
export const health: HttpFunction = {
  kind: 'http',
  name: 'health',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    const report = await checkHealth(process.env, runtime);
    return { status: report.status === 'ok' ? 200 : 503, jsonBody: report };
  },
};
