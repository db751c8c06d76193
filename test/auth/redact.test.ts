import { describe, expect, it } from 'vitest';
import { createRedactor, redact } from '../../shared/auth/redact.js';

const JWT =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3Vjd2EudGVzdCIsInNjcCI6IkNvbnZlcnNhdGlvbnMuUmVjZWl2ZSJ9.c2lnbmF0dXJl';

describe('redact', () => {
  it('removes the given secrets verbatim', () => {
    expect(redact('login with hunter2-secret failed', ['hunter2-secret'])).toBe(
      'login with [redacted] failed',
    );
    expect(createRedactor(['s3cr3t!', undefined])('a s3cr3t! b s3cr3t!')).toBe('a [redacted] b [redacted]');
  });

  it('leaves very short "secrets" alone rather than shredding text', () => {
    expect(redact('a b c', ['a'])).toBe('a b c');
  });

  it('removes token-shaped strings even when nobody named them', () => {
    expect(redact(`token ${JWT} end`)).toBe('token [redacted] end');
    expect(redact('Authorization: Bearer cwt=AAEBHAAAAAA+/= next')).toBe(
      'Authorization: Bearer [redacted] next',
    );
    expect(redact('got cwt=AAEB12/+= here')).toBe('got cwt=[redacted] here');
    expect(redact('grant_type=password&username=u&password=p%40ss&client_secret=xyz')).toBe(
      'grant_type=password&username=u&password=[redacted]&client_secret=[redacted]',
    );
    expect(redact('{"access_token":"abc","refresh_token": "def","expires_in":3}')).toBe(
      '{"access_token":"[redacted]","refresh_token":"[redacted]","expires_in":3}',
    );
    expect(redact('AccountName=dev;AccountKey=Eby8vdM02x==;BlobEndpoint=x')).toBe(
      'AccountName=dev;AccountKey=[redacted];BlobEndpoint=x',
    );
  });

  it('keeps ordinary text', () => {
    const text = 'token for https://webpool.contoso.com ready (expires in 3600 s)';
    expect(redact(text)).toBe(text);
  });
});
