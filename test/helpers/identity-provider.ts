import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import {
  type IdentityProvider,
  type IdentityProviderOptions,
  startIdentityProvider,
} from '../../dev/idp/index.js';

/** Fresh credentials per run, distinctive enough to search logs for. */
export const SERVICE_ACCOUNT = {
  username: 'gatekeeper@contoso.test',
  password: `pw-${randomUUID()}`,
};
export const LIMITED_ACCOUNT = {
  username: 'limited@contoso.test',
  password: `pw-${randomUUID()}`,
};
export const PUBLIC_CLIENT_ID = '11111111-1111-4111-8111-111111111111';
export const CONFIDENTIAL_CLIENT = {
  clientId: '22222222-2222-4222-8222-222222222222',
  clientSecret: `secret-${randomUUID()}`,
};

/**
 * The local identity provider with a certificate from the run's test CA (which the worker trusts through
 * NODE_EXTRA_CA_CERTS), polling every second for device codes, and a standard cast: the service account,
 * an account consented to `Conversations.Initiate` only, a public and a confidential client.
 */
export function startTestIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  return startIdentityProvider({
    ca: inject('testCa'),
    deviceCodeIntervalSeconds: 1,
    users: [SERVICE_ACCOUNT, { ...LIMITED_ACCOUNT, allowedScopes: ['Conversations.Initiate'] }],
    clients: [{ clientId: PUBLIC_CLIENT_ID }, CONFIDENTIAL_CLIENT],
    ...options,
  });
}
