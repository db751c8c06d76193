import { afterEach, describe, expect, it } from 'vitest';
import type { UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { Client, flatten, startSim, withTimeout } from './helpers.js';

let sim: UcwaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('scenario.editPendingEvents (test hook)', () => {
  it('changes what queued events embed, and the change stays when the batch is sent again', async () => {
    sim = await startSim();
    const client = new Client(sim);
    const app = await client.createApplication();
    await client.makeMeAvailable(app, { supportedModalities: ['Messaging'] });
    const warmup = await client.get(withTimeout(app._links.events.href));
    const cursor = withTimeout(warmup.body._links.next.href, 1);

    sim.scenario.incomingIm({ name: 'Lene', uri: 'sip:lenea@contoso.com' }, 'Hi', { subject: 'Deck' });
    const seen: string[] = [];
    const count = sim.scenario.editPendingEvents((event, embedded) => {
      seen.push(event.rel);
      if (event.rel === 'messagingInvitation' && embedded) embedded.subject = null;
    });
    expect(count).toBe(seen.length);
    expect(seen).toContain('messagingInvitation');

    for (let read = 0; read < 2; read++) {
      const events = flatten([(await client.get(cursor)).body]);
      const invitation = events.find((event) => event.rel === 'messagingInvitation');
      expect(invitation?.embedded).toMatchObject({ subject: null, direction: 'Incoming' });
    }
    expect(sim.scenario.editPendingEvents(() => undefined)).toBe(0);
  });
});
