import { describe, expect, it } from 'vitest';
import {
  buildBatch,
  checkScopes,
  classify,
  decodeDataUri,
  discoveryDomain,
  needsRediscovery,
  OriginNotAllowedError,
  OriginPolicy,
  parseBatch,
  parseChallenges,
  parseUcwaDate,
  parseUcwaResource,
  ScopeError,
  UcwaError,
  UcwaSchemaError,
  UcwaTransportError,
} from '../../shared/ucwa/index.js';
import { SAMPLES_PRESENT, sampleText, withSamplesNote } from '../helpers/samples.js';

describe('data URIs', () => {
  it('decodes URL encoding with + for spaces', () => {
    expect(decodeDataUri('data:text/plain;charset=utf-8,Hi+Tosh%0d%0a')?.text).toBe('Hi Tosh\r\n');
  });
  it('decodes base64 and the utf8 spelling', () => {
    const b64 = Buffer.from('Grüße <b>x</b>').toString('base64');
    expect(decodeDataUri(`data:text/html;charset=utf8;base64,${b64}`)).toEqual({
      mediaType: 'text/html',
      charset: 'utf-8',
      text: 'Grüße <b>x</b>',
    });
  });
  it('keeps a stray percent sign and rejects non-data URIs', () => {
    expect(decodeDataUri('data:,100%+sure')?.text).toBe('100% sure');
    expect(decodeDataUri('https://example.com')).toBeUndefined();
  });
});

describe('dates', () => {
  it('parses /Date(ms)/ in both spellings and ISO 8601', () => {
    expect(parseUcwaDate('/Date(1474932024507)/')?.getTime()).toBe(1474932024507);
    expect(parseUcwaDate('\\/Date(1474932024507)\\/')?.getTime()).toBe(1474932024507);
    expect(parseUcwaDate('2016-09-26T23:20:24Z')?.toISOString()).toBe('2016-09-26T23:20:24.000Z');
    expect(parseUcwaDate('soon')).toBeUndefined();
  });
});

describe('parseUcwaResource', () => {
  const participant = {
    rel: 'participant',
    anonymous: true,
    sourceNetwork: 'SomethingNew',
    futureProperty: { nested: 1 },
    _links: { self: { href: '/p/1' }, eject: [{ href: '/p/1/eject' }] },
  };
  it('keeps unknown properties, enum members and link arrays', () => {
    const parsed = parseUcwaResource('participant', participant);
    expect(parsed).toMatchObject({
      anonymous: true,
      sourceNetwork: 'SomethingNew',
      futureProperty: { nested: 1 },
    });
  });
  it('names the path that failed', () => {
    const invitation = {
      rel: 'messagingInvitation',
      _embedded: { from: { ...participant, anonymous: 'yes' } },
    };
    expect(() => parseUcwaResource('messagingInvitation', invitation)).toThrow(UcwaSchemaError);
    try {
      parseUcwaResource('messagingInvitation', invitation);
    } catch (error) {
      expect((error as UcwaSchemaError).path).toBe('_embedded.from.anonymous');
    }
  });
  it('validates resources embedded in events', () => {
    const events = {
      _links: { self: { href: '/e?ack=1' }, next: { href: '/e?ack=2' } },
      sender: [
        {
          rel: 'conversation',
          href: '/c/1',
          events: [
            {
              link: { rel: 'participant', href: '/p/1' },
              type: 'added',
              _embedded: { participant: { role: 7 } },
            },
          ],
        },
      ],
    };
    expect(() => parseUcwaResource('events', events)).toThrow(
      /sender\[0\]\.events\[0\]\._embedded\.participant\.role/,
    );
  });
  it('parses /Date()/ properties to dates', () => {
    const conversation = parseUcwaResource('conversation', { rel: 'conversation', created: '/Date(1000)/' });
    expect('created' in conversation && conversation.created).toEqual(new Date(1000));
  });
});

describe('WWW-Authenticate', () => {
  it('reads both UCWA challenges from one combined header', () => {
    const header =
      'Bearer trusted_issuers="00000002-0000-0ff1-ce00-000000000000@contoso.com", client_id="00000004-0000-0ff1-ce00-000000000000", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
      'MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"';
    expect(parseChallenges([header])).toEqual({
      trustedIssuers: ['00000002-0000-0ff1-ce00-000000000000@contoso.com'],
      clientId: '00000004-0000-0ff1-ce00-000000000000',
      authorizationUri: 'https://login.microsoftonline.com/common/oauth2/authorize',
      msRtcOAuthHref: 'https://lyncweb.contoso.com/WebTicket/oauthtoken',
      grantTypes: ['urn:microsoft.rtc:windows', 'urn:microsoft.rtc:anonmeeting', 'password'],
    });
  });
  it('survives garbage', () => {
    expect(parseChallenges(['', '===', 'Negotiate'])).toEqual({});
  });
});

describe('error classes', () => {
  it.each([
    [404, 'NotFound', 'ApplicationNotFound', 'recreate-application'],
    [410, 'Gone', 'InactiveApplicationExpired', 'recreate-application'],
    [410, 'Gone', 'CannotRedirect', 'rediscover'],
    [410, 'Gone', 'TooManyApplications', 'fatal-configuration'],
    [409, 'Conflict', 'PGetReplaced', 'duplicate-consumer'],
    [409, 'Conflict', 'AlreadyExists', 'already-done'],
    [409, 'Conflict', undefined, 'refresh-state'],
    [409, 'Conflict', 'TooManyGroups', 'refresh-state'],
    [403, 'Forbidden', undefined, 'not-permitted'],
    [502, 'BadGateway', undefined, 'retry'],
    [500, 'ServiceFailure', 'InvalidExchangeServerVersion', 'retry'],
    [500, 'ServiceFailure', 'SomethingNobodyDocumented', 'retry'],
    [429, 'TooManyRequests', undefined, 'throttled'],
    [404, 'NotFound', 'ResourceNotFound', 'target-gone'],
    [400, 'BadRequest', 'ParameterValidationFailure', 'client-bug'],
  ] as const)('%i %s/%s → %s', (status, code, subcode, action) => {
    expect(classify(status, code, subcode)).toBe(action);
  });
  it('rediscovers at the application level after 403, 502, CannotRedirect or a connection failure', () => {
    const error = (status: number, subcode?: string) =>
      new UcwaError({
        status,
        method: 'GET',
        href: 'https://x',
        body: { code: 'X', ...(subcode ? { subcode } : {}) },
      });
    expect([403, 502].map((status) => needsRediscovery(error(status)))).toEqual([true, true]);
    expect(needsRediscovery(error(410, 'CannotRedirect'))).toBe(true);
    expect(
      needsRediscovery(
        new UcwaTransportError({ method: 'GET', href: 'https://x', message: 'ECONNREFUSED', attempts: 4 }),
      ),
    ).toBe(true);
    expect([404, 409, 500, 503].map((status) => needsRediscovery(error(status)))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
  it('treats subcode None as no subcode and keeps the status for proxies', () => {
    const error = new UcwaError({
      status: 409,
      method: 'GET',
      href: 'https://x/y?ack=2',
      body: { code: 'Conflict', subcode: 'None' },
    });
    expect(error.subcode).toBeUndefined();
    expect(error.href).toBe('https://x/y');
    expect(new UcwaError({ status: 503, method: 'GET', href: 'https://x' }).fromProxy).toBe(true);
  });
});

describe('origin policy', () => {
  it('derives the domain from lyncdiscover hosts', () => {
    expect(discoveryDomain('lyncdiscover.contoso.com')).toBe('contoso.com');
    expect(discoveryDomain('LyncDiscoverInternal.contoso.com')).toBe('contoso.com');
    expect(discoveryDomain('contoso.co.uk')).toBe('contoso.co.uk');
    expect(discoveryDomain('127.0.0.1')).toBe('127.0.0.1');
  });
  it('admits the discovery domain only, https only', () => {
    const policy = new OriginPolicy({
      discoveryUrl: 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root',
    });
    expect(policy.allows('https://lyncweb.contoso.com/ucwa')).toBe(true);
    expect(policy.allows('https://pool.fe.contoso.com:4443/x')).toBe(true);
    expect(policy.allows('https://contoso.com.evil.net/x')).toBe(false);
    expect(policy.allows('http://lyncweb.contoso.com/x')).toBe(false);
    expect(() => policy.check('https://evil.example/x')).toThrow(OriginNotAllowedError);
  });
  it('uses an explicit list instead when given, and http only on loopback', () => {
    const policy = new OriginPolicy({
      discoveryUrl: 'https://lyncdiscover.contoso.com/',
      allowedOrigins: ['https://lyncweb.contoso.com', 'http://127.0.0.1:7000'],
    });
    expect(policy.allows('https://pool.contoso.com/')).toBe(false);
    expect(policy.allows('http://127.0.0.1:7000/a')).toBe(true);
    expect(new OriginPolicy({ allowedOrigins: ['http://10.0.0.1'] }).allows('http://10.0.0.1/')).toBe(false);
  });
});

describe('scopes', () => {
  it('needs one of the documented scopes', () => {
    expect(() => checkScopes('lobby', ['Conversations.Initiate'])).toThrow(ScopeError);
    expect(() => checkScopes('lobby', ['https://pool.contoso.com/Conversations.Receive'])).not.toThrow();
    expect(() => checkScopes('eject', ['Conversations.Initiate'])).not.toThrow();
    expect(() => checkScopes('events', [])).not.toThrow();
  });
  it('names the missing scope and how to grant it', () => {
    expect(() => checkScopes('makeMeAvailable', [])).toThrow(
      /Conversations\.Receive or User\.ReadWrite.*consent/,
    );
  });
});

describe('batch', () => {
  it('builds CRLF parts with paths and a Host header', () => {
    const { contentType, body } = buildBatch(
      [
        { method: 'GET', url: 'https://fe.contoso.com/ucwa/v1/applications/1/p/1?x=1' },
        { method: 'POST', url: 'https://fe.contoso.com/ucwa/v1/applications/1/p/1/eject' },
      ],
      'b1',
    );
    expect(contentType).toBe('multipart/batching;boundary=b1');
    expect(body).toContain('\r\nGET /ucwa/v1/applications/1/p/1?x=1 HTTP/1.1\r\nHost: fe.contoso.com\r\n');
    expect(body.endsWith('--b1--\r\n')).toBe(true);
  });
  it.skipIf(!SAMPLES_PRESENT)(withSamplesNote('parses the reference sample'), () => {
    const parts = parseBatch(
      'multipart/batching; boundary="0cac9abd"',
      sampleText('batch/response-1.multipart.txt'),
    );
    expect(parts).toHaveLength(2);
    expect(parts.map((part) => part.status)).toEqual([200, 200]);
    expect(parts[0]?.body).toMatchObject({ rel: 'policies' });
  });
  it('tolerates LF, a missing closing dash, stray lines and bodiless parts', () => {
    const text = [
      '--r42',
      'Content-Type: application/http; msgtype=response',
      'Content-Transfer-Encoding: binary',
      '',
      'HTTP/1.1 200 OK',
      'Content-Type: application/json',
      '',
      '?',
      '{"rel":"lobby"}',
      '--r42',
      'Content-Type: application/http; msgtype=response',
      '',
      'HTTP/1.1 204 No Content',
      '',
      '--r42',
    ].join('\n');
    const parts = parseBatch('multipart/batching; boundary=r42', text);
    expect(parts.map((part) => [part.status, part.body])).toEqual([
      [200, { rel: 'lobby' }],
      [204, undefined],
    ]);
  });
});
