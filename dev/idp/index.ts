export type { IdpClientInit, IdpUserInit } from './directory.js';
export {
  type IdentityProvider,
  type IdentityProviderOptions,
  type IdpEndpoint,
  type IdpRequest,
  startIdentityProvider,
} from './server.js';
export { createTestCa, issueServerCertificate, type ServerCertificate, type TestCa } from './test-ca.js';
export type { MintAlgorithm, MintOptions } from './token-minter.js';
