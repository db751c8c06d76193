import { readFileSync } from 'node:fs';

/**
 * Apply `local.settings.json` (`Values`) to the environment as Core Tools does: the environment wins, so a
 * setting given on the command line overrides the file. Returns the names taken from the file.
 */
export function applyLocalSettings(
  path = 'local.settings.json',
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const parsed = JSON.parse(text) as { Values?: Record<string, unknown> };
  const applied: string[] = [];
  for (const [name, value] of Object.entries(parsed.Values ?? {})) {
    if (env[name] === undefined && typeof value === 'string') {
      env[name] = value;
      applied.push(name);
    }
  }
  return applied;
}

/** Enough to run against real servers: a discovery URL and the sign-in settings of the chosen mode. */
export function hasRealServerSettings(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.UCWA_DISCOVERY_URL) return false;
  if (env.AUTH_MODE === 'sfb-server') return Boolean(env.UCWA_USERNAME && env.UCWA_PASSWORD);
  return Boolean(env.AZURE_TENANT_ID && env.AZURE_CLIENT_ID);
}
