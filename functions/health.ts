import { app } from '@azure/functions';
import { checkHealth } from '../shared/health.js';

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    const report = checkHealth();
    return { status: report.status === 'ok' ? 200 : 503, jsonBody: report };
  },
});
