import { parseSettings, SettingsError } from './config.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** What `GET /api/health` reports. Never includes a setting's value, only whether it parses. */
export function checkHealth(env: Record<string, string | undefined> = process.env): HealthReport {
  const checks: HealthReport['checks'] = {};
  try {
    parseSettings(env);
    checks.settings = { ok: true };
  } catch (error) {
    checks.settings = { ok: false, detail: error instanceof SettingsError ? error.message : 'unreadable' };
  }
  const ok = Object.values(checks).every((check) => check.ok);
  return { status: ok ? 'ok' : 'degraded', checks };
}
