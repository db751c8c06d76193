/**
 * infra/hooks/postprovision.mjs, the azd hook, run as azd runs it: a child process with the azd
 * environment's values as variables. `az` and `azd` are fakes on PATH that keep an app registration and a
 * vault in a JSON file and log every command line, so the test sees exactly what would reach Azure.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatekeeperRole } from '../../shared/auth/inbound/bearer-verifier.js';
import { settingDocs } from '../../shared/config.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const hook = join(repoRoot, 'infra', 'hooks', 'postprovision.mjs');

interface Role {
  id: string;
  value: string;
  isEnabled: boolean;
  allowedMemberTypes: string[];
}
interface State {
  app?: { appRoles?: Role[]; api?: Record<string, unknown>; identifierUris?: string[] } | null;
  /** Graph answers 403 (a pipeline without Graph rights). */
  graphForbidden?: boolean;
  /** Key Vault answers 403 this many times first (a role assignment still propagating). */
  vaultForbidden?: number;
  secrets: Record<string, string>;
  patches: unknown[];
  appSettings: string[];
  azdEnv: Record<string, string>;
}

/** The fake CLIs: one script, told apart by the name it is called by. */
const FAKE = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const stateFile = process.env.FAKE_STATE;
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify([tool, ...args]) + '\\n');
const save = () => fs.writeFileSync(stateFile, JSON.stringify(state));
const arg = (name) => args[args.indexOf(name) + 1];
const out = (value) => { save(); process.stdout.write(value === undefined ? '' : JSON.stringify(value)); process.exit(0); };
const fail = (message) => { save(); process.stderr.write('ERROR: ' + message + '\\n'); process.exit(1); };
const has = (...words) => words.every((word, i) => args[i] === word);
if (tool === 'azd') {
  if (has('env', 'set')) { state.azdEnv[args[2]] = args[3]; out(); }
  fail('unexpected azd ' + args.join(' '));
}
if (has('cloud', 'show')) out('https://graph.microsoft.com/');
if (has('rest')) {
  if (state.graphForbidden) fail('Forbidden({"error":{"code":"Authorization_RequestDenied"}})');
  if (!state.app) fail('Not Found({"error":{"code":"Request_ResourceNotFound"}})');
  if (arg('--method') === 'GET') out(state.app);
  const patch = JSON.parse(fs.readFileSync(arg('--body').slice(1), 'utf8'));
  state.patches.push(patch);
  Object.assign(state.app, patch);
  out();
}
if (has('keyvault')) {
  if (state.vaultForbidden > 0) { state.vaultForbidden--; fail('(Forbidden) Caller is not authorized to perform action on resource. Code: Forbidden'); }
  if (has('keyvault', 'secret', 'show')) {
    const value = state.secrets[arg('--name')];
    if (value === undefined) fail('(SecretNotFound) A secret with (name/id) ' + arg('--name') + ' was not found in this key vault.');
    out(value);
  }
  if (has('keyvault', 'secret', 'set')) { state.secrets[arg('--name')] = fs.readFileSync(arg('--file'), 'utf8'); out('id'); }
  if (has('keyvault', 'secret', 'list')) out(Object.keys(state.secrets));
}
if (has('functionapp', 'config', 'appsettings', 'set')) {
  state.appSettings.push(...args.slice(args.indexOf('--settings') + 1, args.indexOf('--query')));
  out([]);
}
if (has('functionapp', 'restart')) out();
fail('unexpected az ' + args.join(' '));
`;

let dir = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'postprovision-test-'));
  for (const tool of ['az', 'azd']) {
    writeFileSync(join(dir, tool), FAKE);
    chmodSync(join(dir, tool), 0o755);
  }
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const AZD_OUTPUTS = {
  AZURE_KEY_VAULT_NAME: 'kv-token',
  AZURE_KEY_VAULT_ENDPOINT: 'https://kv-token.vault.azure.net/',
  AZURE_RESOURCE_GROUP: 'rg-prod',
  AZURE_FUNCTION_APP_NAME: 'func-gatekeeper-token',
};

function runHook(initial: Partial<State>, env: Record<string, string>, args: string[] = []) {
  const stateFile = join(dir, 'state.json');
  const logFile = join(dir, 'calls.log');
  writeFileSync(
    stateFile,
    JSON.stringify({ secrets: {}, patches: [], appSettings: [], azdEnv: {}, ...initial }),
  );
  writeFileSync(logFile, '');
  const result = spawnSync(process.execPath, [hook, ...args], {
    encoding: 'utf8',
    env: {
      PATH: `${dir}:${dirname(process.execPath)}`,
      FAKE_STATE: stateFile,
      FAKE_LOG: logFile,
      GATEKEEPER_HOOK_RBAC_WAIT_SECONDS: '1',
      ...env,
    },
  });
  const calls = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
  return { status: result.status, output: `${result.stdout}${result.stderr}`, calls, state };
}

describe('postprovision hook', () => {
  it('knows the app roles the verifier requires and the secret settings the code reads', () => {
    const { status, output } = runHook({}, {}, ['--describe']);
    expect(status).toBe(0);
    const described = JSON.parse(output) as { appRoles: string[]; secretSettings: string[] };
    expect(described.appRoles.sort()).toEqual(Object.values(GatekeeperRole).sort());
    const secrets = Object.entries(settingDocs)
      .filter(([name, doc]) => doc.secret && name !== 'AzureWebJobsStorage')
      .map(([name]) => name);
    expect(described.secretSettings.sort()).toEqual(secrets.sort());
  });

  it('with nothing to do, calls nothing (az need not even be installed)', () => {
    const { status, calls } = runHook({}, {});
    expect(status).toBe(0);
    expect(calls).toEqual([]);
  });

  it('adds the missing app roles, v2 tokens and an Application ID URI, keeping what exists', () => {
    const existing: Role = { id: 'r-1', value: 'Other.Role', isEnabled: true, allowedMemberTypes: ['User'] };
    const app = { appRoles: [existing], api: { requestedAccessTokenVersion: null }, identifierUris: [] };
    const env = { GATEKEEPER_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555' };
    const first = runHook({ app }, env);
    expect(first.status, first.output).toBe(0);
    expect(first.state.patches).toHaveLength(1);
    const roles = first.state.app?.appRoles ?? [];
    expect(roles[0]).toEqual(existing);
    expect(roles.map((role) => role.value).sort()).toEqual(
      ['Other.Role', ...Object.values(GatekeeperRole)].sort(),
    );
    for (const role of roles.slice(1)) {
      expect(role.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(role.isEnabled).toBe(true);
      expect(role.allowedMemberTypes).toContain('Application');
    }
    expect(first.state.app?.api?.requestedAccessTokenVersion).toBe(2);
    expect(first.state.app?.identifierUris).toEqual([`api://${env.GATEKEEPER_AZURE_CLIENT_ID}`]);
    const get = first.calls.find((call) => call.includes('GET'));
    expect(get).toContain(
      `https://graph.microsoft.com/v1.0/applications(appId='${env.GATEKEEPER_AZURE_CLIENT_ID}')`,
    );

    const again = runHook({ app: first.state.app ?? null }, env);
    expect(again.status).toBe(0);
    expect(again.state.patches, 'nothing left to change').toEqual([]);
  });

  it('warns and goes on when it may not read or change the app registration', () => {
    const { status, output } = runHook(
      { app: {}, graphForbidden: true },
      { GATEKEEPER_AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555' },
    );
    expect(status).toBe(0);
    expect(output).toContain('WARNING: could not read app registration');
    expect(output).toContain('docs/deploy.md');
  });

  it('puts a Workflows URL into Key Vault, lists it and points the app setting at it, never on a command line', () => {
    const url =
      'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET';
    const env = {
      ...AZD_OUTPUTS,
      GATEKEEPER_KEY_VAULT_SETTINGS: 'UCWA_PASSWORD',
      GATEKEEPER_SECRET_CHAT_TEAMS_WEBHOOK_URL: url,
    };
    const first = runHook({ secrets: { 'ucwa-password': 'p' } }, env);
    expect(first.status, first.output).toBe(0);
    expect(first.state.secrets['chat-teams-webhook-url']).toBe(url);
    expect(first.state.azdEnv.GATEKEEPER_KEY_VAULT_SETTINGS).toBe('UCWA_PASSWORD,CHAT_TEAMS_WEBHOOK_URL');
    // The reference infra/app/function.bicep writes for a listed setting.
    expect(first.state.appSettings).toEqual([
      'CHAT_TEAMS_WEBHOOK_URL=@Microsoft.KeyVault(SecretUri=https://kv-token.vault.azure.net/secrets/chat-teams-webhook-url)',
    ]);
    expect(JSON.stringify(first.calls)).not.toContain('SECRET');
    expect(first.output).not.toContain('SECRET');

    const again = runHook(
      { secrets: first.state.secrets },
      { ...env, GATEKEEPER_KEY_VAULT_SETTINGS: 'UCWA_PASSWORD,CHAT_TEAMS_WEBHOOK_URL' },
    );
    expect(again.status, again.output).toBe(0);
    expect(again.output).toContain('secret chat-teams-webhook-url: unchanged');
    expect(again.calls.filter((call) => call.includes('set'))).toEqual([]);
  });

  it("puts an account's own password into Key Vault as a secret of its own, and points its setting at it", () => {
    const env = {
      ...AZD_OUTPUTS,
      GATEKEEPER_SECRET_ACCOUNT__townhall__UCWA_PASSWORD: 'TOWNHALL-SECRET',
      // Not a secret setting: never written anywhere.
      GATEKEEPER_SECRET_ACCOUNT__townhall__UCWA_USERNAME: 'townhall@contoso.com',
    };
    const run = runHook({}, env);
    expect(run.status, run.output).toBe(0);
    expect(run.state.secrets).toEqual({ 'account--townhall--ucwa-password': 'TOWNHALL-SECRET' });
    expect(run.state.azdEnv.GATEKEEPER_KEY_VAULT_SETTINGS).toBe('ACCOUNT__townhall__UCWA_PASSWORD');
    expect(run.state.appSettings).toEqual([
      'ACCOUNT__townhall__UCWA_PASSWORD=@Microsoft.KeyVault(SecretUri=https://kv-token.vault.azure.net/secrets/account--townhall--ucwa-password)',
    ]);
    expect(JSON.stringify(run.calls)).not.toContain('TOWNHALL-SECRET');

    // Not a secret, or not one an account may set (the app registration's is the deployment's).
    for (const setting of ['ACCOUNT__townhall__UCWA_USERNAME', 'ACCOUNT__townhall__AZURE_CLIENT_SECRET']) {
      const listedUnknown = runHook({}, { ...AZD_OUTPUTS, GATEKEEPER_KEY_VAULT_SETTINGS: setting });
      expect(listedUnknown.status).toBe(1);
      expect(listedUnknown.output).toContain(`names unknown settings: ${setting}`);
    }
    // A secret among the plain account settings: the template leaves it out, and the hook says so.
    const plain = runHook(
      {},
      { GATEKEEPER_ACCOUNT_SETTINGS: '{"ACCOUNT__townhall__UCWA_PASSWORD": "TOWNHALL-SECRET"}' },
    );
    expect(plain.status).toBe(0);
    expect(plain.output).toContain('GATEKEEPER_ACCOUNT_SETTINGS holds secrets, which were not written');
    expect(plain.output).not.toContain('TOWNHALL-SECRET');
  });

  it('waits for a role assignment that is still being applied', () => {
    const { status, output, state } = runHook(
      { vaultForbidden: 1 },
      { ...AZD_OUTPUTS, GATEKEEPER_SECRET_CHAT_WEBHOOK_SECRET: 'whsec_abc' },
    );
    expect(status, output).toBe(0);
    expect(output).toContain('waiting for a new role assignment');
    expect(state.secrets['chat-webhook-secret']).toBe('whsec_abc');
  });

  it('fails when a listed setting has no secret in the vault', () => {
    const { status, output } = runHook(
      { secrets: { 'ucwa-password': 'p' } },
      { ...AZD_OUTPUTS, GATEKEEPER_KEY_VAULT_SETTINGS: 'UCWA_PASSWORD, CHAT_SLACK_WEBHOOK_URL' },
    );
    expect(status).toBe(1);
    expect(output).toContain('lists CHAT_SLACK_WEBHOOK_URL, but kv-token has no chat-slack-webhook-url');
  });
});
