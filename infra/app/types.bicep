// Types shared by main.bicep and the modules (compile-time imports; nothing here is deployed).

@export()
@description('One always-ready entry of a Flex Consumption app: a function group (`http`, `blob`, `durable`) or `function:<name>`.')
type alwaysReadyInstance = {
  @description('Function group or `function:<function name>`.')
  name: string

  @minValue(0)
  @description('Instances kept warm (billed as the always-ready baseline).')
  instanceCount: int
}

@export()
@description('Non-secret settings the gatekeeper code reads (shared/config.ts `settingDocs`). An empty string means unset.')
type gatekeeperSettings = {
  @description('UCWA_DISCOVERY_URL')
  ucwaDiscoveryUrl: string

  @description('UCWA_ALLOWED_ORIGINS (comma-separated)')
  ucwaAllowedOrigins: string

  @description('UCWA_KEEPALIVE_SECONDS (30–230)')
  ucwaKeepaliveSeconds: string

  @description('AUTH_MODE')
  authMode: 'password' | 'device-code' | 'sfb-server'

  @description('UCWA_USERNAME')
  ucwaUsername: string

  @description('AZURE_TENANT_ID')
  azureTenantId: string

  @description('AZURE_CLIENT_ID')
  azureClientId: string

  @description('AZURE_AUTHORITY_HOST')
  azureAuthorityHost: string

  @description('INBOUND_AUDIENCE')
  inboundAudience: string

  @description('GATEKEEPER_MODE')
  gatekeeperMode: 'dry-run' | 'enforce'

  @description('GATEKEEPER_POLICY (JSON or a path inside the package)')
  gatekeeperPolicy: string

  @description('WATCHED_MEETINGS (comma-separated)')
  watchedMeetings: string

  @description('GATEKEEPER_ACCOUNTS (comma-separated ids, or empty for one account)')
  gatekeeperAccounts: string

  @description('CHAT_UCWA_IM_TO (a SIP address, or empty)')
  chatUcwaImTo: string

  @description('OUTBOX_RETENTION_DAYS (whole days)')
  outboxRetentionDays: string

  @description('AUDIT_RETENTION_DAYS (whole days)')
  auditRetentionDays: string
}

@export()
@description('Resource tags.')
type tagsType = {
  *: string
}
