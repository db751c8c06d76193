/** The entry point the Functions host loads (package.json `main`). Registration only: nothing runs at import. */
import { app } from '@azure/functions';
import { shutDown } from '../shared/app/shutdown.js';
import { functionDefinitions } from './registry.js';

// Requests reach the handlers unread: the bearer token is checked before any of the body is read, and a body
// past the limit is abandoned instead of buffered (functions/http-adapter.ts).
app.setup({ enableHttpStream: true });

for (const definition of functionDefinitions) {
  if (definition.kind === 'http') {
    const { name, route, methods, authLevel, handler } = definition;
    app.http(name, { route, methods, authLevel, handler });
  } else if (definition.kind === 'timer') {
    app.timer(definition.name, { schedule: definition.schedule, handler: definition.handler });
  } else {
    const { name, queueName, handler } = definition;
    app.storageQueue(name, { queueName, connection: 'AzureWebJobsStorage', handler });
  }
}

// A graceful shutdown (scale-in, a deployment) ends the watch now: cursor saved, lease released.
app.hook.appTerminate(() => shutDown()); // awaited by the worker before it exits

/** The same list, for hosts that serve the bundle (the cold-start benchmark's local host). */
export { functionDefinitions };
