import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../dev/azurite.js';
import { checkHealth, JobBoard } from '../../shared/app/health.js';
import { createRuntime, type Runtime } from '../../shared/app/runtime.js';
import { parseSettings } from '../../shared/config.js';

const ENV = {
  UCWA_DISCOVERY_URL: 'https://lyncdiscover.contoso.com/autodiscover/autodiscoverservice.svc/root',
  GATEKEEPER_MODE: 'enforce',
};

describe('the first request after a start', () => {
  it('building the runtime sends no storage request: tables are created on first use', async () => {
    const requests: string[] = [];
    const storage = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(storage.address() as AddressInfo).port}/${AZURITE_ACCOUNT}`;
      const settings = parseSettings({
        ...ENV,
        AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${endpoint};BlobEndpoint=${endpoint};`,
      });
      await createRuntime(settings, { tokens: { getToken: async () => ({ token: 'unused' }) } });
      expect(requests).toEqual([]);
    } finally {
      storage.close();
    }
  });

  it('a health report asks UCWA and storage at once, not one after the other', async () => {
    const asked: string[] = [];
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const rt = {
      ucwa: {
        probeDiscovery: async () => {
          asked.push('discovery');
          await answered;
        },
        tokenExpiresOn: () => undefined,
      },
      cursors: {
        read: async () => {
          asked.push('cursor');
          await answered;
          return { state: {}, etag: undefined };
        },
      },
    } as unknown as Runtime;
    const report = checkHealth(ENV, async () => rt, Date.now(), new JobBoard());
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked.sort()).toEqual(['cursor', 'discovery']);
    answer();
    expect(await report).toMatchObject({ checks: { ucwa: { ok: true }, eventChannel: { ok: false } } });
  });
});
