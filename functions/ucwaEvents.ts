import { runtime } from '../shared/app/account-runtimes.js';
import { receiveEvents } from '../shared/app/http-api.js';
import type { HttpFunction } from './definition.js';
import { everyAccount, httpHandler } from './http-adapter.js';

/** POST /api/ucwa/events: UCWA events pushed by a relay (bearer token with Gatekeeper.Events.Send, plus a function key). */
export const ucwaEvents: HttpFunction = {
  kind: 'http',
  name: 'ucwaEvents',
  route: 'ucwa/events',
  methods: ['POST'],
  authLevel: 'function',
  handler: httpHandler(receiveEvents, runtime, everyAccount),
};
