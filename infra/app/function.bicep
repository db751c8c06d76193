// The Flex Consumption plan and the function app. Every app setting is listed literally below (no
// loops, no unions) so test/infra/settings.test.ts can read the names from the compiled template and
// compare them with shared/config.ts `settingDocs`.

import { alwaysReadyInstance, gatekeeperSettings, tagsType } from 'types.bicep'

@description('Function app name (globally unique host name).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Region.')
param location string

@description('Tags for the plan and the app (the app also gets azd-service-name).')
param tags tagsType

@description('azd service name (azure.yaml) that deploys to this app.')
param serviceName string

@description('User-assigned identity the app runs as.')
param identityName string

@description('Storage account for host storage and the deployment package.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Application Insights component.')
param applicationInsightsName string

@description('Key Vault holding the secrets.')
param keyVaultName string

@allowed([512, 2048, 4096])
@description('Memory of each instance, in MB (also the billed GB-s per active second).')
param instanceMemoryMB int

@minValue(1)
@maxValue(1000)
@description('Upper bound on instances the app scales out to.')
param maximumInstanceCount int

@description('Always-ready instances; empty: on demand only.')
param alwaysReady alwaysReadyInstance[]

@description('Non-secret settings for the code.')
param settings gatekeeperSettings

@description('Secret settings that get a Key Vault reference; the others are set empty (= unset for the code). List a setting only once its value exists in the vault: an unresolvable reference reaches the code as the literal `@Microsoft.KeyVault(...)` text.')
param vaultReferencedSettings string[]

@description('The accounts\' own non-secret settings (ACCOUNT__<id>__<SETTING>: value); their secrets are in vaultReferencedSettings.')
param accountSettings { *: string }

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' existing = {
  name: keyVaultName
}

// Key Vault references use the versionless SecretUri: the platform picks up a new secret version
// within a day, or at once when the app restarts. A secret setting not listed in
// vaultReferencedSettings is set empty, which the code treats as unset.
var secretsUri = '${vault.properties.vaultUri}secrets/'

// The accounts' own settings (docs/accounts.md): set here, as every app setting is, so a deployment never
// drops them. Only names an account may carry; the code checks their values.
var accountAppSettings = concat(
  map(filter(items(accountSettings), item => startsWith(item.key, 'ACCOUNT__')), item => {
    name: item.key
    value: item.value
  }),
  map(filter(vaultReferencedSettings, setting => startsWith(setting, 'ACCOUNT__')), setting => {
    name: setting
    value: '@Microsoft.KeyVault(SecretUri=${secretsUri}${toLower(replace(setting, '_', '-'))})'
  })
)

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(
        [
          // Read by the Functions host: identity-based host storage (replaces the AzureWebJobsStorage
          // connection string, which shared keys being disabled would make useless anyway).
          { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
          { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
          { name: 'AzureWebJobsStorage__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
          { name: 'AzureWebJobsStorage__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
          { name: 'AzureWebJobsStorage__tableServiceUri', value: storage.properties.primaryEndpoints.table }
          // Read by the Functions host: its telemetry authenticates with the identity (local auth is off).
          {
            name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
            value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
          }

          // Read by the code (shared/config.ts).
          { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
          { name: 'UCWA_DISCOVERY_URL', value: settings.ucwaDiscoveryUrl }
          { name: 'UCWA_ALLOWED_ORIGINS', value: settings.ucwaAllowedOrigins }
          { name: 'UCWA_KEEPALIVE_SECONDS', value: settings.ucwaKeepaliveSeconds }
          { name: 'AUTH_MODE', value: settings.authMode }
          { name: 'UCWA_USERNAME', value: settings.ucwaUsername }
          { name: 'AZURE_TENANT_ID', value: settings.azureTenantId }
          { name: 'AZURE_CLIENT_ID', value: settings.azureClientId }
          { name: 'AZURE_AUTHORITY_HOST', value: settings.azureAuthorityHost }
          { name: 'INBOUND_AUDIENCE', value: settings.inboundAudience }
          { name: 'GATEKEEPER_MODE', value: settings.gatekeeperMode }
          { name: 'GATEKEEPER_POLICY', value: settings.gatekeeperPolicy }
          { name: 'WATCHED_MEETINGS', value: settings.watchedMeetings }
          { name: 'GATEKEEPER_ACCOUNTS', value: settings.gatekeeperAccounts }
          { name: 'CHAT_UCWA_IM_TO', value: settings.chatUcwaImTo }
          { name: 'OUTBOX_RETENTION_DAYS', value: settings.outboxRetentionDays }
          { name: 'AUDIT_RETENTION_DAYS', value: settings.auditRetentionDays }

          // Secrets: Key Vault references resolved with the user-assigned identity. Secret name =
          // the setting name in lower case with '-' for '_' (Key Vault allows letters, digits, dashes).
          {
            name: 'UCWA_PASSWORD'
            value: contains(vaultReferencedSettings, 'UCWA_PASSWORD')
              ? '@Microsoft.KeyVault(SecretUri=${secretsUri}ucwa-password)'
              : ''
          }
          {
            name: 'AZURE_CLIENT_SECRET'
            value: contains(vaultReferencedSettings, 'AZURE_CLIENT_SECRET')
              ? '@Microsoft.KeyVault(SecretUri=${secretsUri}azure-client-secret)'
              : ''
          }
          {
            name: 'CHAT_TEAMS_WEBHOOK_URL'
            value: contains(vaultReferencedSettings, 'CHAT_TEAMS_WEBHOOK_URL')
              ? '@Microsoft.KeyVault(SecretUri=${secretsUri}chat-teams-webhook-url)'
              : ''
          }
          {
            name: 'CHAT_SLACK_WEBHOOK_URL'
            value: contains(vaultReferencedSettings, 'CHAT_SLACK_WEBHOOK_URL')
              ? '@Microsoft.KeyVault(SecretUri=${secretsUri}chat-slack-webhook-url)'
              : ''
          }
          {
            name: 'CHAT_WEBHOOK_URL'
            value: contains(vaultReferencedSettings, 'CHAT_WEBHOOK_URL')
              ? '@Microsoft.KeyVault(SecretUri=${secretsUri}chat-webhook-url)'
              : ''
          }
          {
            name: 'CHAT_WEBHOOK_SECRET'
            value: contains(vaultReferencedSettings, 'CHAT_WEBHOOK_SECRET')
              ? '@Microsoft.KeyVault(SecretUri=${secretsUri}chat-webhook-secret)'
              : ''
          }
        ],
        accountAppSettings
      )
    }
  }
}

@description('Function app name.')
output name string = app.name

@description('Default host name of the app.')
output defaultHostName string = app.properties.defaultHostName
