import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../shared/config.js';

describe('UCWA_KEEPALIVE_SECONDS', () => {
  it('defaults to 180: keep-alive is always on', () => {
    expect(parseSettings({}).UCWA_KEEPALIVE_SECONDS).toBe(180);
  });

  it('accepts 30 to 230 seconds (UCWA asks for a report at least every four minutes)', () => {
    expect(parseSettings({ UCWA_KEEPALIVE_SECONDS: '30' }).UCWA_KEEPALIVE_SECONDS).toBe(30);
    expect(parseSettings({ UCWA_KEEPALIVE_SECONDS: '230' }).UCWA_KEEPALIVE_SECONDS).toBe(230);
  });

  it.each(['29', '231', '0', '90.5', 'often'])('refuses %s, naming the setting', (value) => {
    expect(() => parseSettings({ UCWA_KEEPALIVE_SECONDS: value })).toThrow(SettingsError);
    expect(() => parseSettings({ UCWA_KEEPALIVE_SECONDS: value })).toThrow(/UCWA_KEEPALIVE_SECONDS/);
  });
});
