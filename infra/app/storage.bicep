// Storage account for the Functions host (AzureWebJobsStorage, identity-based), the Flex Consumption
// deployment package and the gatekeeper's state (tables, MSAL token cache, channel lease, the job queue). Shared keys are disabled:
// every client, the host included, must authenticate with Microsoft Entra ID.

import { tagsType } from 'types.bicep'

@description('Storage account name (3-24 lower-case letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Region.')
param location string

@description('Tags for the account.')
param tags tagsType

@description('Blob containers to create (deployment package, the gatekeeper\'s blobs).')
param containerNames string[]

@description('Tables to create (the gatekeeper\'s state).')
param tableNames string[]

@description('Queues to create (the per-account jobs and their poison queue).')
param queueNames string[]

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource containers 'containers' = [
      for containerName in containerNames: {
        name: containerName
        properties: {
          publicAccess: 'None'
        }
      }
    ]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [
      for tableName in tableNames: {
        name: tableName
      }
    ]
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }
}

@description('Storage account name.')
output name string = storage.name
