// The user-assigned managed identity the function app runs as: host storage, deployment package,
// Key Vault references and Application Insights ingestion all authenticate with it.

import { tagsType } from 'types.bicep'

@description('Identity name.')
param name string

@description('Region.')
param location string

@description('Tags for the identity.')
param tags tagsType

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Identity name.')
output name string = identity.name

@description('Principal (object) id, for role assignments.')
output principalId string = identity.properties.principalId
