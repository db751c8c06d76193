import { describe, expect, it } from 'vitest';

describe('telemetry scrubbing', () => {
  it('masks SIP addresses and phone numbers in error text', async () => {
    const { scrubPersonalData } = await import('../shared/telemetry.js');
    expect(
      scrubPersonalData(
        'UCWA GET https://pool/ucwa/participants/lenea@contoso.com failed; call tel:+1 425 555 0101',
      ),
    ).toBe('UCWA GET https://pool/ucwa/participants/•••@contoso.com failed; call tel:•••');
  });
});

describe('deferred telemetry', () => {
  it('queues what is recorded before it is loaded and replays it in order', async () => {
    const { deferredTelemetry, MemoryTelemetry } = await import('../shared/telemetry.js');
    const memory = new MemoryTelemetry();
    let loaded = false;
    const telemetry = deferredTelemetry(async () => {
      loaded = true;
      return memory;
    });
    telemetry.event('InvitationInspected', { modality: 'messaging' });
    telemetry.metric('EventToActionMs', 12);
    expect(loaded).toBe(false);
    await telemetry.flush();
    telemetry.event('ParticipantEjected');
    expect(memory.events.map((e) => e.name)).toEqual(['InvitationInspected', 'ParticipantEjected']);
    expect(memory.metrics).toEqual([{ name: 'EventToActionMs', value: 12, properties: {} }]);
  });
});
