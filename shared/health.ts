import { parseSettings, SettingsError } from './config.js';
import type { Runtime } from './gatekeeper/runtime.js';
import { originOf } from './ucwa/links.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, { ok: boolean; detail?: string }>;
  lastEventAt?: string;
  lastPollAt?: string;
  tokenExpiresOn?: string;
}

/** The channel counts as stale when no P-GET completed for this long (a run polls every few minutes). */
const STALE_AFTER_MS = 10 * 60_000;

/**
 * What `GET /api/health` reports: settings valid, UCWA reachable, when the channel last delivered, when the
 * UCWA token expires. Never a secret or a setting's value.
 */
export async function checkHealth(
  env: Record<string, string | undefined>,
  runtime: () => Promise<Runtime>,
  now = Date.now(),
): Promise<HealthReport> {
  const report: HealthReport = { status: 'ok', checks: {} };
  try {
    parseSettings(env);
    report.checks.settings = { ok: true };
  } catch (error) {
    report.checks.settings = {
      ok: false,
      detail: error instanceof SettingsError ? error.message : 'unreadable',
    };
    report.status = 'degraded';
    return report;
  }
  try {
    const rt = await runtime();
    const discoveryUrl = rt.settings.UCWA_DISCOVERY_URL ?? '';
    try {
      await rt.ucwa.transport.request({
        method: 'GET',
        url: discoveryUrl,
        auth: false,
        retry: false,
        timeoutMs: 5_000,
      });
      report.checks.ucwa = { ok: true };
    } catch (error) {
      report.checks.ucwa = { ok: false, detail: `discovery unreachable: ${(error as Error).name}` };
    }
    const { state } = await rt.cursors.read();
    if (state.lastEventAt) report.lastEventAt = state.lastEventAt;
    if (state.lastPollAt) report.lastPollAt = state.lastPollAt;
    const fresh = state.lastPollAt !== undefined && now - Date.parse(state.lastPollAt) < STALE_AFTER_MS;
    report.checks.eventChannel = fresh
      ? { ok: true }
      : {
          ok: false,
          detail: state.lastPollAt ? 'no event poll completed in the last 10 minutes' : 'never polled yet',
        };
    const app = rt.ucwa.currentApplication;
    const expiresOn = app ? rt.ucwa.transport.tokenExpiresOn(originOf(app.href)) : undefined;
    if (expiresOn !== undefined) report.tokenExpiresOn = new Date(expiresOn).toISOString();
  } catch (error) {
    report.checks.runtime = {
      ok: false,
      detail: error instanceof SettingsError ? error.message : (error as Error).name,
    };
  }
  report.status = Object.values(report.checks).every((check) => check.ok) ? 'ok' : 'degraded';
  return report;
}
