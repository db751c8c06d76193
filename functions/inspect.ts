import { runtime } from '../shared/app/account-runtimes.js';
import { previewDecision } from '../shared/app/http-api.js';
import type { HttpFunction } from './definition.js';
import { everyAccount, httpHandler } from './http-adapter.js';

/** POST /api/inspect: what the gatekeeper sees and would decide for an href (Gatekeeper.Inspect role). */
export const inspect: HttpFunction = {
  kind: 'http',
  name: 'inspect',
  route: 'inspect',
  methods: ['POST'],
  authLevel: 'function',
  handler: httpHandler(previewDecision, runtime, everyAccount),
};
