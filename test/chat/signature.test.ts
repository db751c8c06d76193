import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  IDEMPOTENCY_HEADER,
  idempotencyKey,
  SIGNATURE_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
  webhookRequest,
} from '../../shared/chat/index.js';
import { invitationNotice } from './notices.js';

const SECRET = 'test-secret';
const NOW = 1_736_000_000;

describe('webhook signatures', () => {
  it('signs timestamp + "." + body with HMAC-SHA256 and verifies it', () => {
    const body = '{"hello":"world"}';
    const signature = signWebhookBody(SECRET, body, NOW);
    expect(signature).toMatch(/^t=1736000000,v1=[0-9a-f]{64}$/);
    // Reference value computed independently: HMAC-SHA256("test-secret", "1736000000.{"hello":"world"}").
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${body}`).digest('hex');
    expect(signature).toBe(`t=${NOW},v1=${expected}`);
    expect(verifyWebhookSignature(SECRET, { [SIGNATURE_HEADER]: signature }, body, 300, NOW + 10)).toEqual({
      ok: true,
      timestamp: NOW,
    });
  });

  it('accepts Node header objects, Fetch Headers and raw bytes', () => {
    const body = Buffer.from('{"a":1}');
    const signature = signWebhookBody(SECRET, body, NOW);
    expect(verifyWebhookSignature(SECRET, { 'x-gatekeeper-signature': signature }, body, 300, NOW).ok).toBe(
      true,
    );
    expect(
      verifyWebhookSignature(SECRET, new Headers({ [SIGNATURE_HEADER]: signature }), '{"a":1}', 300, NOW).ok,
    ).toBe(true);
  });

  it('rejects a tampered body, a wrong secret, an old or future timestamp, and missing or malformed headers', () => {
    const body = '{"n":1}';
    const headers = { [SIGNATURE_HEADER]: signWebhookBody(SECRET, body, NOW) };
    expect(verifyWebhookSignature(SECRET, headers, '{"n":2}', 300, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature('other', headers, body, 300, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature(SECRET, headers, body, 300, NOW + 301)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyWebhookSignature(SECRET, headers, body, 300, NOW - 301)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyWebhookSignature(SECRET, {}, body, 300, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhookSignature(SECRET, { [SIGNATURE_HEADER]: 'v1=abc' }, body, 300, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    // A signature moved to another timestamp does not verify.
    const moved = headers[SIGNATURE_HEADER].replace(`t=${NOW}`, `t=${NOW + 1}`);
    expect(verifyWebhookSignature(SECRET, { [SIGNATURE_HEADER]: moved }, body, 300, NOW).ok).toBe(false);
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const body = 'x';
    const old = signWebhookBody('old', body, NOW).split(',')[1];
    const header = `${signWebhookBody(SECRET, body, NOW)},${old}`;
    expect(verifyWebhookSignature('old', { [SIGNATURE_HEADER]: header }, body, 300, NOW).ok).toBe(true);
    expect(verifyWebhookSignature(SECRET, { [SIGNATURE_HEADER]: header }, body, 300, NOW).ok).toBe(true);
  });

  it('builds the signed request with an idempotency key', () => {
    const request = webhookRequest(invitationNotice(), SECRET, NOW);
    expect(request.headers[IDEMPOTENCY_HEADER]).toBe('inv-1');
    expect(verifyWebhookSignature(SECRET, request.headers, request.body, 300, NOW).ok).toBe(true);
    expect(JSON.parse(request.body)).toMatchObject({ schemaVersion: 1, id: 'inv-1' });
    expect(idempotencyKey('evt/1 with spaces\n')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
