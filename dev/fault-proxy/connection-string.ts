const KEYS = { table: 'TableEndpoint', blob: 'BlobEndpoint' } as const;

/**
 * Rewrite an Azurite (or any explicit-endpoint) connection string so its TableEndpoint/BlobEndpoint go through
 * the given proxies. The account name and key stay: the proxies forward paths unchanged, so signatures hold.
 */
export function proxiedConnectionString(
  connectionString: string,
  endpoints: { table?: string; blob?: string },
): string {
  const parts = connectionString
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.some((part) => /^UseDevelopmentStorage=true$/i.test(part))) {
    throw new Error('proxiedConnectionString needs explicit endpoints, not UseDevelopmentStorage=true');
  }
  for (const [service, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) {
    const endpoint = endpoints[service];
    if (endpoint === undefined) continue;
    const value = `${key}=${endpoint.replace(/\/+$/, '')}`;
    const index = parts.findIndex((part) => part.toLowerCase().startsWith(`${key.toLowerCase()}=`));
    if (index >= 0) parts[index] = value;
    else parts.push(value);
  }
  return parts.join(';');
}
