import { describe, expect, it } from 'vitest';
import { authorityConfig, isMicrosoftAuthorityHost } from '../../shared/auth/authority.js';
import { grantedScopes, resourceOrigin, ucwaScopes } from '../../shared/auth/scopes.js';

describe('authority and scopes', () => {
  it('trusts a custom authority host explicitly, with its port', () => {
    expect(authorityConfig('https://127.0.0.1:8443', 't')).toEqual({
      authority: 'https://127.0.0.1:8443/t',
      knownAuthorities: ['127.0.0.1:8443'],
      issuer: 'https://127.0.0.1:8443/t/v2.0',
    });
    expect(authorityConfig(undefined, 't').knownAuthorities).toEqual([]);
    expect(isMicrosoftAuthorityHost('https://login.microsoftonline.us')).toBe(true);
    expect(isMicrosoftAuthorityHost('https://adfs.contoso.com')).toBe(false);
  });

  it('builds per-origin scopes and reads granted scopes', () => {
    expect(resourceOrigin('https://WebPool.contoso.com:443/ucwa/oauth/v1/applications')).toBe(
      'https://webpool.contoso.com',
    );
    expect(ucwaScopes('https://h:1')).toEqual([
      'https://h:1/Conversations.Initiate',
      'https://h:1/Conversations.Receive',
      'https://h:1/User.ReadWrite',
    ]);
    // Opaque token: MSAL's scopes, prefix and OIDC scopes removed.
    expect(
      grantedScopes(
        'opaque',
        ['https://h:1/Conversations.Receive', 'openid', 'offline_access'],
        'https://h:1',
      ),
    ).toEqual(['Conversations.Receive']);
  });
});
