import { checkHealth } from '../shared/health.js';
import type { HttpFunction } from './definition.js';

/** GET /api/health: settings valid, and later UCWA reachability and channel freshness. No secrets. */
export const health: HttpFunction = {
  kind: 'http',
  name: 'health',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    const report = checkHealth();
    return { status: report.status === 'ok' ? 200 : 503, jsonBody: report };
  },
};
