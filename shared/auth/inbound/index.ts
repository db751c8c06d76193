export {
  type AccessRequirement,
  type BearerAlgorithm,
  type BearerFailure,
  type BearerFailureReason,
  type BearerVerification,
  type BearerVerifier,
  type BearerVerifierOptions,
  createBearerVerifier,
  GatekeeperRole,
  type VerifiedCaller,
} from './bearer-verifier.js';
export { type OpenIdMetadata, OpenIdMetadataError, openIdMetadataLoader } from './openid-metadata.js';
export { PROBLEM_CONTENT_TYPE, type ProblemDetails, problem } from './problem-details.js';
export { bearerVerifierOptionsFromSettings } from './verifier-from-settings.js';
