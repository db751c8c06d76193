/**
 * Runs the local identity provider on its own: `tsx dev/idp/cli.ts [options]`.
 *   --port <n>                 default 0 (a free port)
 *   --tenant <id>              default a fixed local tenant id
 *   --state-dir <dir>          keeps the CA there (ca.json, ca.pem) so NODE_EXTRA_CA_CERTS stays valid
 *                              across runs; default .data/idp
 *   --user <name>:<password>   repeatable
 *   --client <id>[:<secret>]   repeatable
 * Prints one JSON line (authorityHost, tenant, caFile, ...) once listening. Clients need
 * NODE_EXTRA_CA_CERTS=<caFile> at start-up to trust it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { IdpClientInit, IdpUserInit } from './directory.js';
import { startIdentityProvider } from './server.js';
import { createTestCa, type TestCa } from './test-ca.js';

const LOCAL_TENANT = '00000000-0000-4000-8000-00000000a11c';

async function loadOrCreateCa(stateDir: string): Promise<{ ca: TestCa; caFile: string }> {
  await mkdir(stateDir, { recursive: true });
  const caJson = join(stateDir, 'ca.json');
  const caFile = join(stateDir, 'ca.pem');
  let ca: TestCa;
  try {
    ca = JSON.parse(await readFile(caJson, 'utf8')) as TestCa;
  } catch {
    ca = createTestCa({ validDays: 365 });
    await writeFile(caJson, JSON.stringify(ca), { mode: 0o600 });
  }
  await writeFile(caFile, ca.certPem);
  return { ca, caFile: resolve(caFile) };
}

function split(value: string): [string, string | undefined] {
  const colon = value.indexOf(':');
  return colon < 0 ? [value, undefined] : [value.slice(0, colon), value.slice(colon + 1)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      tenant: { type: 'string', default: LOCAL_TENANT },
      'state-dir': { type: 'string', default: '.data/idp' },
      user: { type: 'string', multiple: true, default: [] },
      client: { type: 'string', multiple: true, default: [] },
    },
  });
  const users: IdpUserInit[] = values.user.map((entry) => {
    const [username, password] = split(entry);
    if (!password) throw new Error(`--user ${username}: a password is required (name:password)`);
    return { username, password };
  });
  const clients: IdpClientInit[] = values.client.map((entry) => {
    const [clientId, clientSecret] = split(entry);
    return clientSecret ? { clientId, clientSecret } : { clientId };
  });
  const { ca, caFile } = await loadOrCreateCa(values['state-dir']);
  const idp = await startIdentityProvider({
    ca,
    port: Number(values.port),
    tenant: values.tenant,
    users,
    clients,
  });
  console.log(
    JSON.stringify({
      authorityHost: idp.authorityHost,
      tenant: idp.tenant,
      issuer: idp.issuer,
      verificationUri: idp.verificationUri,
      caFile,
    }),
  );
  const stop = () => {
    void idp.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`idp: ${(error as Error).message}`);
  process.exitCode = 1;
});
