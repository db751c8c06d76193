// Key Vault in RBAC mode for the gatekeeper's secrets. The template creates no secret: operators set
// them (docs/deploy.md) and the function app reads them through Key Vault references.

import { tagsType } from 'types.bicep'

@description('Vault name (3-24 letters, digits and dashes, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Region.')
param location string

@description('Tags for the vault.')
param tags tagsType

@description('Purge protection: deleted secrets and the vault itself cannot be purged before the retention period ends. Irreversible once on.')
param enablePurgeProtection bool

@minValue(7)
@maxValue(90)
@description('Days a deleted vault or secret stays recoverable. Fixed when the vault is created.')
param softDeleteRetentionInDays int

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The API accepts only `true` or absent: purge protection cannot be switched off once on.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

@description('Vault name.')
output name string = vault.name

@description('Vault URI, e.g. https://<name>.vault.azure.net/ (with the trailing slash).')
output uri string = vault.properties.vaultUri
