// Log Analytics workspace and a workspace-based Application Insights component that accepts only
// Microsoft Entra-authenticated telemetry (local auth, i.e. the instrumentation key alone, is disabled),
// and the operator's workbook over it.

import { tagsType } from 'types.bicep'

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param applicationInsightsName string

@description('Region.')
param location string

@description('Tags for both resources.')
param tags tagsType

@minValue(30)
@maxValue(730)
@description('Days the workspace keeps data.')
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

// The workbook's content lives in workbook.json, where test/infra/workbook.test.ts checks every event,
// metric and property it queries against what the code emits. Opened from the component's Workbooks
// blade it reads that component; fallbackResourceIds is where it looks when opened from elsewhere.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsights.id, 'gatekeeper-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'UCWA gatekeeper (${applicationInsightsName})'
    category: 'workbook'
    // Lower case, as the portal saves it: the component's Workbooks gallery looks the workbook up by this id.
    sourceId: toLower(appInsights.id)
    serializedData: string(union(loadJsonContent('workbook.json'), { fallbackResourceIds: [appInsights.id] }))
  }
}

@description('Application Insights component name.')
output applicationInsightsName string = appInsights.name
