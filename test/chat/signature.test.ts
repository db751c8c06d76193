import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  newWebhookSecret,
  WebhookSigner,
  webhookId,
  webhookRequest,
  webhookSecretProblem,
} from '../../shared/chat/index.js';
import { parseSettings, SettingsError } from '../../shared/config.js';
import { invitationNotice, lobbyNotice } from './notices.js';

/** The specification's own example secret (standardwebhooks.com). */
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = 1_736_000_000;

beforeEach(() => {
  // The library verifies against the real clock: pin it to the deliveries' time.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Standard Webhooks signatures', () => {
  it('signs a delivery that the stock library verifies, with the notice id as webhook-id', () => {
    const secret = newWebhookSecret();
    const { body, headers } = webhookRequest(invitationNotice(), secret, NOW);
    expect(headers).toEqual({
      'webhook-id': 'inv-1',
      'webhook-timestamp': String(NOW),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ id: 'inv-1', schemaVersion: 2 });
  });

  it('computes HMAC-SHA256 over "<id>.<timestamp>.<body>" with the base64-decoded secret', () => {
    const body = '{"test": 2432232314}';
    const headers = new WebhookSigner(SPEC_SECRET).headers('msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body);
    const key = Buffer.from(SPEC_SECRET.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.${body}`);
    expect(headers['webhook-signature']).toBe(`v1,${expected.digest('base64')}`);
  });

  it('signs with every secret while one rotates, so receivers with either verify', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const { body, headers } = webhookRequest(lobbyNotice(), `${current} ${previous}`, NOW);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('fails verification when the body, the id or the time changed, or the delivery is old', () => {
    const secret = newWebhookSecret();
    const { body, headers } = webhookRequest(invitationNotice(), secret, NOW);
    const verify = (b: string, h: Record<string, string>) => () => new Webhook(secret).verify(b, h);
    expect(verify(body.replace('Alice', 'Mallory'), headers)).toThrow(WebhookVerificationError);
    expect(verify(body, { ...headers, 'webhook-id': 'inv-2' })).toThrow(WebhookVerificationError);
    expect(verify(body, { ...headers, 'webhook-timestamp': String(NOW + 1) })).toThrow(
      WebhookVerificationError,
    );
    const old = webhookRequest(invitationNotice(), secret, NOW - 600);
    expect(verify(old.body, old.headers)).toThrow(/too old/);
  });

  it('accepts only whsec_ secrets of 24 to 64 random bytes, and never repeats one in a message', () => {
    expect(webhookSecretProblem(newWebhookSecret())).toBeUndefined();
    expect(webhookSecretProblem(SPEC_SECRET)).toBeUndefined();
    expect(webhookSecretProblem('s3cret')).toMatch(/whsec_/);
    expect(webhookSecretProblem('whsec_not base64!')).toMatch(/base64/);
    expect(webhookSecretProblem(`whsec_${Buffer.alloc(8).toString('base64')}`)).toMatch(/has 8/);
    expect(() => new WebhookSigner('whsec_c2VjcmV0')).toThrow(/secret 1: must encode 24 to 64/);
    expect(() => new WebhookSigner('')).toThrow(/no webhook secret/);
  });

  it('sends a notice id that is no valid header value as its hash', () => {
    expect(webhookId('eject|https://x/participants/1|2025-01-01T00:00:00.000Z')).toBe(
      'eject|https://x/participants/1|2025-01-01T00:00:00.000Z',
    );
    expect(webhookId('evt/1 with spaces\n')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(webhookId('x'.repeat(201))).toMatch(/^sha256:/);
  });

  it('refuses a CHAT_WEBHOOK_SECRET that is not whsec_ secrets when the settings are read, naming only the setting', () => {
    const read = (value: string) => () => parseSettings({ CHAT_WEBHOOK_SECRET: value });
    expect(read('hunter2')).toThrow(SettingsError);
    expect(read('hunter2')).toThrow(/CHAT_WEBHOOK_SECRET: must be whsec_/);
    expect(read('hunter2')).not.toThrow(/hunter2/);
    expect(read(`${newWebhookSecret()} hunter2`)).toThrow(SettingsError);
    const rotating = `${newWebhookSecret()} ${SPEC_SECRET}`;
    expect(parseSettings({ CHAT_WEBHOOK_SECRET: rotating }).CHAT_WEBHOOK_SECRET).toBe(rotating);
  });
});
