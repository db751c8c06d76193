// ucwa-gatekeeper: everything `azd up` provisions. One resource group holding a Flex Consumption
// function app that runs as a user-assigned identity, its storage (shared keys off), Log Analytics +
// Application Insights (Entra-only ingestion) and a Key Vault (RBAC mode) for the secrets.
// Deployment guide: docs/deploy.md. Build and lint: `npm run infra:build`.

targetScope = 'subscription'

import { alwaysReadyInstance } from 'app/types.bicep'

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer the Flex Consumption plan.')
@metadata({ azd: { type: 'location' } })
param location string

// ---------------------------------------------------------------------------------------------
// Hosting
// ---------------------------------------------------------------------------------------------

// Sized from `npm run bench` scenario 6 (bench/README.md): one instance holding N accounts' channels took
// ~115 MB with 10, ~166 MB with 100 and ~374 MB with 500, each further channel ~0.54 MB RSS, with removals
// as fast at 500 as at 10. host.json lets an instance take 24 watch messages at once (batchSize 16 +
// newBatchThreshold 8; the other jobs have a queue of their own), i.e. hold 24 channels in ~130 MB: 512 MB leaves room for bursts, and more memory buys
// nothing. Each instance holding 24 accounts, 40 instances guard up to 960 accounts: raise the count with
// the accounts (it is a ceiling; idle accounts cost no instances beyond their watch).
@allowed([512, 2048, 4096])
@description('Memory per instance in MB (512 = 0.25 vCPU, 2048 = 1, 4096 = 2). Billing counts this size, not the memory used.')
param instanceMemoryMB int = 512

@minValue(1)
@maxValue(1000)
@description('Most instances the app may scale out to: at 24 accounts\' channels each, 40 guard up to 960 accounts.')
param maximumInstanceCount int = 40

@description('Always-ready instances, e.g. [{ name: \'function:events\', instanceCount: 1 }]. Empty: on demand only.')
param alwaysReady alwaysReadyInstance[] = []

@minValue(30)
@maxValue(730)
@description('Days Log Analytics keeps telemetry.')
param logRetentionInDays int = 30

// ---------------------------------------------------------------------------------------------
// Key Vault
// ---------------------------------------------------------------------------------------------

@description('Key Vault purge protection. Irreversible once on; keep it on in production.')
param keyVaultPurgeProtection bool = true

@minValue(7)
@maxValue(90)
@description('Days a deleted vault or secret stays recoverable (fixed at vault creation).')
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Object id allowed to write the vault\'s secrets (Key Vault Secrets Officer); azd passes the signed-in principal. Empty: nobody.')
param keyVaultWriterPrincipalId string = ''

@description('Principal type of keyVaultWriterPrincipalId.')
param keyVaultWriterPrincipalType 'User' | 'Group' | 'ServicePrincipal' = 'User'

@description('Comma-separated secret settings to wire as Key Vault references, e.g. \'UCWA_PASSWORD,CHAT_TEAMS_WEBHOOK_URL,ACCOUNT__townhall__UCWA_PASSWORD\'. List a setting only once its value exists in the vault. Unlisted secret settings are set empty (unset for the code). An unknown name fails the deployment.')
param keyVaultReferencedSettings string = ''

@description('GATEKEEPER_ACCOUNT_SETTINGS: the accounts\' own non-secret settings as a JSON object, e.g. {"ACCOUNT__townhall__UCWA_USERNAME": "townhall@contoso.com"} (docs/accounts.md). Their secrets go through keyVaultReferencedSettings. Empty: none.')
param gatekeeperAccountSettings string = ''

// ---------------------------------------------------------------------------------------------
// Gatekeeper settings (non-secret; shared/config.ts). An empty string means unset.
// ---------------------------------------------------------------------------------------------

@minLength(1)
@description('UCWA_DISCOVERY_URL: the Autodiscover root (https).')
param ucwaDiscoveryUrl string

@description('UCWA_ALLOWED_ORIGINS: comma-separated origins the bearer token may go to. Empty: derived from discovery.')
param ucwaAllowedOrigins string = ''

@description('UCWA_KEEPALIVE_SECONDS: seconds between activity reports, without which UCWA expires the application (30–230; the app checks).')
param ucwaKeepaliveSeconds string = '180'

@description('AUTH_MODE: how the service account signs in.')
param authMode 'password' | 'device-code' | 'sfb-server' = 'password'

@description('UCWA_USERNAME: service account user name (password and sfb-server modes).')
param ucwaUsername string = ''

@description('AZURE_TENANT_ID: tenant of the gatekeeper app registration (GUID or domain). Empty: the tenant of this deployment.')
param azureTenantId string = ''

@description('AZURE_CLIENT_ID: application (client) id of the gatekeeper app registration.')
param azureClientId string = ''

@description('AZURE_AUTHORITY_HOST: sign-in authority host. Empty: the current cloud\'s login endpoint.')
param azureAuthorityHost string = ''

@description('INBOUND_AUDIENCE: audience inbound bearer tokens must carry (events webhook, inspect). Empty: azureClientId, the audience of the v2 access tokens issued for the gatekeeper\'s registration.')
param inboundAudience string = ''

@description('GATEKEEPER_MODE: dry-run decides and reports only; enforce acts.')
param gatekeeperMode 'dry-run' | 'enforce' = 'dry-run'

@description('GATEKEEPER_POLICY: the policy as JSON, or the path of a JSON file in the deployed package. Empty: the built-in default.')
param gatekeeperPolicy string = ''

@description('WATCHED_MEETINGS: comma-separated online meeting URIs to join and guard.')
param watchedMeetings string = ''

@description('GATEKEEPER_ACCOUNTS: comma-separated ids of the accounts to guard, each with its own ACCOUNT__<id>__<SETTING> app settings (docs/accounts.md). Empty: one account, from the settings above.')
param gatekeeperAccounts string = ''

@description('CHAT_UCWA_IM_TO: a SIP address that also gets every summary as an instant message. Empty: none.')
param chatUcwaImTo string = ''

@description('OUTBOX_RETENTION_DAYS: days finished chat notices and claims are kept.')
@minValue(1)
param outboxRetentionDays int = 7

@description('AUDIT_RETENTION_DAYS: days audit rows are kept.')
@minValue(1)
param auditRetentionDays int = 90

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

// The gatekeeper's state, in one place (keep in step with the code, which also creates them on
// first use): tables for the event cursor, idempotency keys, the audit trail and the chat outbox
// (shared/store, shared/chat/outbox.ts); blob containers for the MSAL token cache
// (shared/auth/blob-cache-plugin.ts) and the event-channel lease (shared/store/channel-lease.ts).
var stateTableNames = ['cursor', 'idempotency', 'audit', 'outbox']
var stateContainerNames = ['msal-cache', 'gatekeeper-locks']
// The timers fan each account's jobs out through them (shared/app/account-jobs.ts): watches, and the rest.
var jobQueueNames = ['gatekeeper-watch', 'gatekeeper-watch-poison', 'gatekeeper-jobs', 'gatekeeper-jobs-poison']
var deploymentContainerName = 'app-package'

// Login endpoint of the current cloud without its trailing slash (e.g. https://login.<cloud host>).
var cloudLoginEndpoint = environment().authentication.loginEndpoint
var defaultAuthorityHost = endsWith(cloudLoginEndpoint, '/')
  ? take(cloudLoginEndpoint, length(cloudLoginEndpoint) - 1)
  : cloudLoginEndpoint

// Resource names, known before deployment (precise what-if; modules take names, not outputs).
var identityName = 'id-gatekeeper-${resourceToken}'
var storageAccountName = 'st${resourceToken}'
var logAnalyticsName = 'log-${resourceToken}'
var applicationInsightsName = 'appi-${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var functionAppName = 'func-gatekeeper-${resourceToken}'
var planName = 'plan-gatekeeper-${resourceToken}'

// Settings whose values live in Key Vault (shared/config.ts `secret: true`, except AzureWebJobsStorage,
// which identity-based host storage replaces). Indexing this object with an unknown name fails the
// deployment with "property '<name>' doesn't exist, available properties are ...", so a typo in
// keyVaultReferencedSettings cannot silently leave a secret unset.
var knownVaultSettings = {
  UCWA_PASSWORD: true
  AZURE_CLIENT_SECRET: true
  CHAT_TEAMS_WEBHOOK_URL: true
  CHAT_SLACK_WEBHOOK_URL: true
  CHAT_WEBHOOK_URL: true
  CHAT_WEBHOOK_SECRET: true
}
var requestedVaultSettings = filter(
  map(split(keyVaultReferencedSettings, ','), entry => trim(entry)),
  entry => !empty(entry)
)
// An account's own secret (ACCOUNT__<id>__<SETTING>) is checked the same way, against the secrets an account
// may set (shared/app/accounts.ts ACCOUNT_SETTINGS: not the app registration's).
var knownAccountVaultSettings = {
  UCWA_PASSWORD: true
  CHAT_TEAMS_WEBHOOK_URL: true
  CHAT_SLACK_WEBHOOK_URL: true
  CHAT_WEBHOOK_URL: true
  CHAT_WEBHOOK_SECRET: true
}
var vaultReferencedSettings = filter(
  requestedVaultSettings,
  setting =>
    startsWith(setting, 'ACCOUNT__')
      ? knownAccountVaultSettings[last(split(setting, '__'))]
      : knownVaultSettings[setting]
)
var givenAccountSettings = empty(gatekeeperAccountSettings) ? {} : json(gatekeeperAccountSettings)
// A secret given here would be a plain app setting, kept in the deployment's history: never written (the
// postprovision hook says so); an account's secrets go through Key Vault.
var accountSettings = toObject(
  filter(items(givenAccountSettings), item => !contains(knownVaultSettings, last(split(item.key, '__')))),
  item => item.key,
  item => item.value
)

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    containerNames: concat([deploymentContainerName], stateContainerNames)
    tableNames: stateTableNames
    queueNames: jobQueueNames
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: logAnalyticsName
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  dependsOn: [identity, storage, monitoring, keyVault]
  params: {
    identityName: identityName
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
    keyVaultName: keyVaultName
    vaultWriterPrincipalId: keyVaultWriterPrincipalId
    vaultWriterPrincipalType: keyVaultWriterPrincipalType
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: rg
  // rbac: the host must be able to reach its storage, vault and telemetry when it first starts.
  dependsOn: [identity, storage, monitoring, keyVault, rbac]
  params: {
    name: functionAppName
    planName: planName
    location: location
    tags: tags
    serviceName: 'gatekeeper'
    identityName: identityName
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: applicationInsightsName
    keyVaultName: keyVaultName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReady: alwaysReady
    vaultReferencedSettings: vaultReferencedSettings
    accountSettings: accountSettings
    settings: {
      ucwaDiscoveryUrl: ucwaDiscoveryUrl
      ucwaAllowedOrigins: ucwaAllowedOrigins
      ucwaKeepaliveSeconds: ucwaKeepaliveSeconds
      authMode: authMode
      ucwaUsername: ucwaUsername
      azureTenantId: empty(azureTenantId) ? tenant().tenantId : azureTenantId
      azureClientId: azureClientId
      azureAuthorityHost: empty(azureAuthorityHost) ? defaultAuthorityHost : azureAuthorityHost
      inboundAudience: empty(inboundAudience) ? azureClientId : inboundAudience
      gatekeeperMode: gatekeeperMode
      gatekeeperPolicy: gatekeeperPolicy
      watchedMeetings: watchedMeetings
      gatekeeperAccounts: gatekeeperAccounts
      chatUcwaImTo: chatUcwaImTo
      outboxRetentionDays: string(outboxRetentionDays)
      auditRetentionDays: string(auditRetentionDays)
    }
  }
}

// Outputs become azd environment values.
@description('Region.')
output AZURE_LOCATION string = location

@description('Resource group azd deploys into.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Function app name.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the function app.')
output GATEKEEPER_URL string = 'https://${functionApp.outputs.defaultHostName}'

@description('Key Vault name, for `az keyvault secret set --vault-name`.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Key Vault URI.')
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri

@description('Storage account holding host storage and the gatekeeper state.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
