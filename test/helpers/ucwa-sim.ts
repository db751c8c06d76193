import { type SimulatorOptions, startUcwaSimulator, type UcwaSimulator } from '../../dev/ucwa-sim/index.js';
import { UcwaClient, type UcwaClientOptions } from '../../shared/ucwa/client.js';
import type { TokenSource } from '../../shared/ucwa/token-source.js';

/** The simulator with test-sized timers: P-GET timeouts down to 0.05 s. */
export function startSim(options: SimulatorOptions = {}): Promise<UcwaSimulator> {
  return startUcwaSimulator({ ...options, eventChannel: { minTimeoutSec: 0.05, ...options.eventChannel } });
}

/**
 * Tokens the simulator issues itself, per origin. Counts what it handed out. Without `scopes` they are like
 * server OAuth tokens, which carry none; with them, like Azure AD tokens that list what was granted.
 */
export function simTokens(
  sim: UcwaSimulator,
  scopes?: string[],
): TokenSource & { issued: { origin: string; forceRefresh: boolean }[] } {
  const issued: { origin: string; forceRefresh: boolean }[] = [];
  return {
    issued,
    async getToken({ origin, forceRefresh }) {
      issued.push({ origin, forceRefresh: forceRefresh ?? false });
      return {
        token: sim.issueToken({ origin, ...(scopes ? { scopes } : {}) }),
        ...(scopes ? { scopes } : {}),
        expiresOn: Date.now() + 3_600_000,
      };
    },
  };
}

/** A client for the simulator with fast retries and a 1-second P-GET. */
export function simClient(sim: UcwaSimulator, overrides: Partial<UcwaClientOptions> = {}): UcwaClient {
  return new UcwaClient({
    discoveryUrl: sim.discoveryUrl,
    tokens: simTokens(sim),
    application: { userAgent: 'ucwa-gatekeeper-tests/1.0', endpointId: 'tests', culture: 'en-us' },
    availability: {},
    eventChannel: { timeoutSec: 1, marginMs: 5_000 },
    retry: { baseMs: 5, maxMs: 20, maxRetryAfterMs: 2_000 },
    timeoutMs: 5_000,
    ...overrides,
  });
}
