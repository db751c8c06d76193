import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { ManagedIdentityApplication } from '@azure/msal-node';
import type { AuthLog } from './auth-log.js';

/**
 * An Azure SDK credential backed by MSAL's managed identity support (App Service / Functions, IMDS, ...).
 * It spares the project `@azure/identity`, which would bring a second MSAL and a browser MSAL with it.
 */
export class ManagedIdentityCredential implements TokenCredential {
  #app: ManagedIdentityApplication | undefined;

  constructor(
    private readonly options: {
      /** Client id of a user-assigned identity; omit for the system-assigned one. */
      clientId?: string;
      log?: AuthLog;
    } = {},
  ) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
    const scope = Array.isArray(scopes) ? scopes[0] : scopes;
    if (!scope) throw new TypeError('a scope is required');
    // Managed identity endpoints take a resource, not scopes: `https://storage.azure.com/.default` → resource.
    const resource = scope.replace(/\/\.default$/, '');
    this.#app ??= await this.#create();
    const result = await this.#app.acquireToken({ resource });
    return {
      token: result.accessToken,
      expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now() + 300_000,
      tokenType: 'Bearer',
    };
  }

  /** MSAL loads with the first token: building a storage client must not load it. */
  async #create(): Promise<ManagedIdentityApplication> {
    const [{ ManagedIdentityApplication }, { msalLoggerOptions }] = await Promise.all([
      import('@azure/msal-node'),
      import('./msal-app.js'),
    ]);
    return new ManagedIdentityApplication({
      ...(this.options.clientId
        ? { managedIdentityIdParams: { userAssignedClientId: this.options.clientId } }
        : {}),
      ...(this.options.log
        ? { system: { loggerOptions: msalLoggerOptions(this.options.log, 'warning') } }
        : {}),
    });
  }
}
