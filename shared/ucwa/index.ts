/** The UCWA 2.0 client: public surface. */
export * from './batch.js';
export * from './client.js';
export * from './data-uri.js';
export * from './discovery.js';
export * from './errors.js';
export * from './event-channel.js';
export * from './links.js';
export * from './origin-policy.js';
export * from './own-operations.js';
export {
  type KnownRel,
  type ParsedUcwa,
  parseAs,
  parseEvents,
  parseUcwaResource,
  type ResourceOf,
} from './parse.js';
export * from './retry.js';
export * from './schemas.js';
export * from './scopes.js';
export type * from './token-source.js';
export * from './transport.js';
export * from './www-authenticate.js';
