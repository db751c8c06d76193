// Role assignments, each on the narrowest scope that works:
// - the storage account (not narrower): the Functions host creates its own containers
//   (azure-webjobs-hosts, azure-webjobs-secrets), queues and diagnostic-event tables there, and the
//   Flex Consumption deployment container and the app's container/tables live in the same account;
// - the Application Insights component, for Entra-authenticated ingestion;
// - the vault, which holds only this app's secrets (per-secret scopes are impossible here: the
//   template does not create the secrets, operators do).
// Names are guid(scope, identity resource id, role): deterministic and known before deployment, so
// redeploying finds the same assignment instead of adding one, and what-if can predict them.

@description('The function app\'s user-assigned identity.')
param identityName string

@description('Storage account used for host storage, the deployment package and the app\'s state.')
param storageAccountName string

@description('Application Insights component the app sends telemetry to.')
param applicationInsightsName string

@description('Key Vault holding the app\'s secrets.')
param keyVaultName string

@description('Optional: object id of a person, group or pipeline allowed to write the vault\'s secrets (Key Vault Secrets Officer). Empty: none.')
param vaultWriterPrincipalId string

@description('Principal type of vaultWriterPrincipalId.')
param vaultWriterPrincipalType 'User' | 'Group' | 'ServicePrincipal'

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

// Host storage (identity-based AzureWebJobsStorage): blobs for leases, keys and the deployment
// package; queues for the host's own queue use; tables for the host's diagnostic events and the
// gatekeeper's tables (cursor, idempotency, audit, outbox).
var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

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

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, identity.id, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.monitoringMetricsPublisher
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource vaultWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(vaultWriterPrincipalId)) {
  name: guid(vault.id, vaultWriterPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: vaultWriterPrincipalId
    principalType: vaultWriterPrincipalType
  }
}
