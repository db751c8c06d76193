import { required, type Settings } from '../../config.js';
import type { BearerVerifierOptions } from './bearer-verifier.js';

/** Verifier options from settings; throws SettingsError naming a missing AZURE_TENANT_ID or INBOUND_AUDIENCE. */
export function bearerVerifierOptionsFromSettings(
  settings: Settings,
  extras: Pick<BearerVerifierOptions, 'onFailure'> = {},
): BearerVerifierOptions {
  return {
    tenantId: required(settings, 'AZURE_TENANT_ID'),
    audience: required(settings, 'INBOUND_AUDIENCE'),
    authorityHost: settings.AZURE_AUTHORITY_HOST,
    ...extras,
  };
}
