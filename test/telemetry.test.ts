import { describe, expect, it } from 'vitest';

describe('the scrubber (telemetry, logs, alerts, problem details)', () => {
  it('masks SIP addresses and phone numbers in error text', async () => {
    const { scrub } = await import('../shared/scrub.js');
    expect(
      scrub('UCWA GET https://pool/ucwa/participants/lenea@contoso.com failed; call tel:+1 425 555 0101'),
    ).toBe('UCWA GET https://pool/ucwa/participants/•••@contoso.com failed; call tel:•••');
  });

  it('masks encoded addresses and credentials too, and leaves sizes, dates and ids alone', async () => {
    const { scrub, scrubError } = await import('../shared/scrub.js');
    expect(scrub('GET /people/alice%40contoso.com/presence, call 425-555-0101')).toBe(
      'GET /people/•••%40contoso.com/presence, call •••',
    );
    expect(scrub('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln password=hunter22')).toBe(
      'Bearer [redacted] password=[redacted]',
    );
    const kept = 'larger than 1048576 bytes at 2026-11-26T10:11:12.123Z, ack=1234567890123';
    expect(scrub(kept)).toBe(kept);
    const error = scrubError(
      Object.assign(new Error('eject sip:bob@fabrikam.com refused'), { name: 'UcwaError' }),
    );
    expect(error.name).toBe('UcwaError');
    expect(`${error.message}\n${error.stack}`).not.toContain('bob@');
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
    // Nothing recorded, nothing loaded: a first request that records nothing never pays for it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(loaded).toBe(false);
    telemetry.event('InvitationInspected', { modality: 'messaging' });
    telemetry.metric('EventToActionMs', 12);
    expect(loaded).toBe(false);
    await telemetry.flush();
    telemetry.event('ParticipantEjected');
    expect(memory.events.map((e) => e.name)).toEqual(['InvitationInspected', 'ParticipantEjected']);
    expect(memory.metrics).toEqual([{ name: 'EventToActionMs', value: 12, properties: {} }]);
  });
});
