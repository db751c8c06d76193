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
