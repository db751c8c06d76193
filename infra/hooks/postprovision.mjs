#!/usr/bin/env node
// azd postprovision hook (azure.yaml): what the Bicep template cannot do. See docs/deploy.md.
//
// 1. The gatekeeper's app registration lives in Microsoft Graph, outside ARM. It needs the app roles
//    inbound callers are checked for (Gatekeeper.Events.Send, Gatekeeper.Inspect), v2 access tokens
//    (the verifier accepts only the v2 issuer; their audience is the client id, the template's default
//    INBOUND_AUDIENCE) and an Application ID URI, so a caller can ask for `api://<client id>/.default`.
//    Skipped without GATEKEEPER_AZURE_CLIENT_ID or with GATEKEEPER_SKIP_APP_REGISTRATION=true. Without
//    the Graph rights to read or change it, a warning says what to do by hand; the deployment goes on.
// 2. Secrets handed over in this shell as GATEKEEPER_SECRET_<SETTING> (the Teams Workflows URL as
//    GATEKEEPER_SECRET_CHAT_TEAMS_WEBHOOK_URL; an account's own as GATEKEEPER_SECRET_ACCOUNT__<id>__<SETTING>)
//    go to Key Vault under the setting's secret name (a new
//    version only when the value changed); the setting joins GATEKEEPER_KEY_VAULT_SETTINGS in the azd
//    environment and the app setting is pointed at the vault now, so no second provision is needed.
// 3. Every setting listed in GATEKEEPER_KEY_VAULT_SETTINGS must have its secret in the vault, or the hook
//    fails: an unresolvable reference reaches the code as the literal `@Microsoft.KeyVault(...)` text.
//
// Plain Node, no dependencies. Needs the Azure CLI (`az`) signed in to the tenant (in CI: azure/login with
// OpenID Connect) and, for step 2, `azd` on PATH. Never prints a secret or passes one on a command line.
//
//   node infra/hooks/postprovision.mjs              run (azd passes its environment's values as variables)
//   node infra/hooks/postprovision.mjs --describe   print the app roles and secret settings it knows (tests)

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** App roles the HTTP functions require (shared/auth/inbound/bearer-verifier.ts `GatekeeperRole`). */
const APP_ROLES = [
  {
    value: 'Gatekeeper.Events.Send',
    displayName: 'Send UCWA events to the gatekeeper',
    description: 'Lets a relay push UCWA event documents to POST /api/ucwa/events.',
    allowedMemberTypes: ['Application'],
  },
  {
    value: 'Gatekeeper.Inspect',
    displayName: 'Ask the gatekeeper for a decision',
    description: 'Lets an operator or tool call the inspect function.',
    allowedMemberTypes: ['Application', 'User'],
  },
];

/** Secret settings (shared/config.ts `secret: true`; infra/main.bicep `knownVaultSettings`). */
const SECRET_SETTINGS = [
  'UCWA_PASSWORD',
  'AZURE_CLIENT_SECRET',
  'CHAT_TEAMS_WEBHOOK_URL',
  'CHAT_SLACK_WEBHOOK_URL',
  'CHAT_WEBHOOK_URL',
  'CHAT_WEBHOOK_SECRET',
];

const env = process.env;
const log = (message) => console.log(`postprovision: ${message}`);
const warn = (message) => console.warn(`postprovision: WARNING: ${message}`);

class HookError extends Error {}

/** Key Vault secret names allow letters, digits and dashes: the setting in lower case, `_` → `-`. */
const secretName = (setting) => setting.toLowerCase().replaceAll('_', '-');

/** The secrets an account may set for itself (shared/app/accounts.ts ACCOUNT_SETTINGS). */
const ACCOUNT_SECRET_SETTINGS = SECRET_SETTINGS.filter((setting) => setting !== 'AZURE_CLIENT_SECRET');

/** A secret setting, or one account's own (ACCOUNT__<id>__<SETTING>, docs/accounts.md). */
const isSecretSetting = (setting) => {
  const scoped = /^ACCOUNT__[a-z][a-z0-9]{0,23}__(\w+)$/.exec(setting)?.[1];
  return scoped ? ACCOUNT_SECRET_SETTINGS.includes(scoped) : SECRET_SETTINGS.includes(setting);
};

/** Secrets put in GATEKEEPER_ACCOUNT_SETTINGS: the template leaves them out (they would be plain app settings). */
function checkAccountSettings() {
  let given = {};
  try {
    given = JSON.parse(env.GATEKEEPER_ACCOUNT_SETTINGS || '{}');
  } catch {
    throw new HookError('GATEKEEPER_ACCOUNT_SETTINGS is not a JSON object');
  }
  const secrets = Object.keys(given).filter((name) => SECRET_SETTINGS.includes(name.split('__').at(-1)));
  if (secrets.length > 0)
    warn(
      `GATEKEEPER_ACCOUNT_SETTINGS holds secrets, which were not written: ${secrets.join(', ')}; ` +
        'hand each over as GATEKEEPER_SECRET_<SETTING> instead (docs/accounts.md)',
    );
}

const parseList = (value) =>
  (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

// ---------------------------------------------------------------------------------------------
// Running az and azd
// ---------------------------------------------------------------------------------------------

const isWindows = process.platform === 'win32';

/** Quote for cmd.exe, which runs az.cmd and azd on Windows (Node needs a shell for .cmd files). */
const quoteForCmd = (arg) => (/^[\w.,:/=@-]+$/.test(arg) ? arg : `"${arg.replaceAll('"', '""')}"`);

/** Run a CLI; resolve with its exit status and output. Never throws for a non-zero exit. */
function exec(command, args) {
  const result = spawnSync(command, isWindows ? args.map(quoteForCmd) : args, {
    encoding: 'utf8',
    shell: isWindows,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.error) {
    const missing = result.error.code === 'ENOENT';
    throw new HookError(
      missing ? `\`${command}\` is not on PATH: install it and sign in` : String(result.error.message),
    );
  }
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

const isForbidden = (stderr) => /Forbidden|AuthorizationFailed|not authorized/i.test(stderr);
const isNotFound = (stderr) => /NotFound|\(404\)|does not exist/i.test(stderr);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `az` with JSON output. A role assignment made by this very provision can take minutes to apply, so a
 * refusal is retried for up to GATEKEEPER_HOOK_RBAC_WAIT_SECONDS (default 600).
 */
async function az(args, { retryForbidden = false } = {}) {
  const waitMs = Number(env.GATEKEEPER_HOOK_RBAC_WAIT_SECONDS ?? 600) * 1000;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const result = exec('az', [...args, '--only-show-errors', '-o', 'json']);
    if (result.status === 0)
      return { ok: true, value: result.stdout.trim() ? JSON.parse(result.stdout) : null };
    if (!(retryForbidden && isForbidden(result.stderr) && Date.now() - started < waitMs)) {
      return { ok: false, stderr: result.stderr.trim() };
    }
    if (attempt === 1) log('access refused; waiting for a new role assignment to apply...');
    await sleep(Math.min(20_000, waitMs));
  }
}

/** A private file for a value that must not appear on a command line; removed afterwards. */
function withTempFile(content, use) {
  const dir = mkdtempSync(join(tmpdir(), 'gatekeeper-hook-'));
  const file = join(dir, 'value');
  try {
    writeFileSync(file, content, { mode: 0o600 });
    return use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 1. App registration
// ---------------------------------------------------------------------------------------------

/** What to PATCH on the application so inbound tokens work; `{}` when nothing is missing. */
function appRegistrationPatch(app, clientId) {
  const patch = {};
  const roles = app.appRoles ?? [];
  const missing = APP_ROLES.filter((role) => !roles.some((existing) => existing.value === role.value));
  // Graph replaces the whole collection: keep every existing role as it is, with its id.
  if (missing.length > 0) {
    patch.appRoles = [...roles, ...missing.map((role) => ({ ...role, id: randomUUID(), isEnabled: true }))];
  }
  if (app.api?.requestedAccessTokenVersion !== 2) patch.api = { ...app.api, requestedAccessTokenVersion: 2 };
  if ((app.identifierUris ?? []).length === 0) patch.identifierUris = [`api://${clientId}`];
  return patch;
}

async function configureAppRegistration() {
  const clientId = env.GATEKEEPER_AZURE_CLIENT_ID?.trim();
  if (!clientId) return log('app registration: GATEKEEPER_AZURE_CLIENT_ID is empty; skipped');
  if (env.GATEKEEPER_SKIP_APP_REGISTRATION === 'true') {
    return log('app registration: GATEKEEPER_SKIP_APP_REGISTRATION=true; skipped');
  }
  const manual =
    'define the app roles by hand as docs/deploy.md describes, or run this hook as an owner of the app';
  const cloud = await az(['cloud', 'show', '--query', 'endpoints.microsoftGraphResourceId']);
  const graph = String(cloud.ok ? cloud.value : 'https://graph.microsoft.com/').replace(/\/+$/, '');
  const url = `${graph}/v1.0/applications(appId='${clientId}')`;
  const read = await az(['rest', '--method', 'GET', '--url', url]);
  if (!read.ok)
    return warn(`could not read app registration ${clientId} (${firstLine(read.stderr)}): ${manual}`);

  const patch = appRegistrationPatch(read.value, clientId);
  const disabled = (read.value.appRoles ?? []).filter(
    (role) => APP_ROLES.some((wanted) => wanted.value === role.value) && role.isEnabled === false,
  );
  for (const role of disabled) warn(`app role ${role.value} exists but is disabled; left as it is`);
  if (Object.keys(patch).length === 0)
    return log(`app registration ${clientId}: app roles and token version in place`);

  const written = await withTempFile(JSON.stringify(patch), (file) =>
    az([
      'rest',
      '--method',
      'PATCH',
      '--url',
      url,
      '--headers',
      'Content-Type=application/json',
      '--body',
      `@${file}`,
    ]),
  );
  if (!written.ok)
    return warn(`could not update app registration ${clientId} (${firstLine(written.stderr)}): ${manual}`);
  log(`app registration ${clientId}: set ${Object.keys(patch).join(', ')}`);
}

const firstLine = (text) => text.split('\n').find((line) => line.trim()) ?? 'no detail';

// ---------------------------------------------------------------------------------------------
// 2 and 3. Secrets
// ---------------------------------------------------------------------------------------------

function required(name) {
  const value = env[name]?.trim();
  if (!value) throw new HookError(`${name} is not set: run this as an azd hook, after \`azd provision\``);
  return value;
}

async function readSecret(vault, name) {
  const result = await az(
    ['keyvault', 'secret', 'show', '--vault-name', vault, '--name', name, '--query', 'value'],
    {
      retryForbidden: true,
    },
  );
  if (result.ok) return result.value;
  if (isNotFound(result.stderr)) return undefined;
  throw new HookError(`could not read secret ${name} from ${vault}: ${firstLine(result.stderr)}`);
}

async function writeSecrets() {
  const given = Object.keys(env)
    .filter((name) => name.startsWith('GATEKEEPER_SECRET_') && env[name])
    .map((name) => name.slice('GATEKEEPER_SECRET_'.length))
    .filter(isSecretSetting)
    .sort();
  const listed = parseList(env.GATEKEEPER_KEY_VAULT_SETTINGS);
  if (given.length === 0) return listed;

  const vault = required('AZURE_KEY_VAULT_NAME');
  let changedListed = false;
  for (const setting of given) {
    const name = secretName(setting);
    const value = env[`GATEKEEPER_SECRET_${setting}`];
    if ((await readSecret(vault, name)) === value) {
      log(`secret ${name}: unchanged`);
      continue;
    }
    const result = await withTempFile(value, (file) =>
      az(
        [
          'keyvault',
          'secret',
          'set',
          '--vault-name',
          vault,
          '--name',
          name,
          '--file',
          file,
          '--encoding',
          'utf-8',
          '--query',
          'id',
        ],
        {
          retryForbidden: true,
        },
      ),
    );
    if (!result.ok)
      throw new HookError(`could not write secret ${name} to ${vault}: ${firstLine(result.stderr)}`);
    log(`secret ${name}: written to ${vault}`);
    if (listed.includes(setting)) changedListed = true;
  }

  const added = given.filter((setting) => !listed.includes(setting));
  const all = [...listed, ...added];
  if (added.length > 0) {
    const set = exec('azd', ['env', 'set', 'GATEKEEPER_KEY_VAULT_SETTINGS', all.join(',')]);
    if (set.status !== 0) throw new HookError(`azd env set failed: ${firstLine(set.stderr)}`);
    log(`GATEKEEPER_KEY_VAULT_SETTINGS=${all.join(',')} (azd environment)`);

    // The same reference infra/app/function.bicep writes for a listed setting; the next provision keeps it.
    const vaultUri = required('AZURE_KEY_VAULT_ENDPOINT').replace(/\/?$/, '/');
    const references = added.map(
      (setting) => `${setting}=@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName(setting)})`,
    );
    const app = ['-g', required('AZURE_RESOURCE_GROUP'), '-n', required('AZURE_FUNCTION_APP_NAME')];
    const result = await az([
      'functionapp',
      'config',
      'appsettings',
      'set',
      ...app,
      '--settings',
      ...references,
      '--query',
      '[].name',
    ]);
    if (!result.ok) throw new HookError(`could not set the app settings: ${firstLine(result.stderr)}`);
    log(`app settings ${added.join(', ')} now read Key Vault`);
  } else if (changedListed) {
    // References are versionless; a restart makes the app read the new versions now rather than within a day.
    const restart = await az([
      'functionapp',
      'restart',
      '-g',
      required('AZURE_RESOURCE_GROUP'),
      '-n',
      required('AZURE_FUNCTION_APP_NAME'),
    ]);
    if (!restart.ok)
      warn(`restart the app to pick up the new secret versions now (${firstLine(restart.stderr)})`);
    else log('app restarted to read the new secret versions');
  }
  return all;
}

async function checkListedSecrets(listed) {
  if (listed.length === 0) return log('no secret settings listed in GATEKEEPER_KEY_VAULT_SETTINGS');
  const unknown = listed.filter((setting) => !isSecretSetting(setting));
  if (unknown.length > 0) {
    throw new HookError(`GATEKEEPER_KEY_VAULT_SETTINGS names unknown settings: ${unknown.join(', ')}`);
  }
  const vault = required('AZURE_KEY_VAULT_NAME');
  const result = await az(['keyvault', 'secret', 'list', '--vault-name', vault, '--query', '[].name'], {
    retryForbidden: true,
  });
  if (!result.ok) {
    return warn(`could not list the secrets in ${vault} to check them (${firstLine(result.stderr)})`);
  }
  const missing = listed.filter((setting) => !result.value.includes(secretName(setting)));
  if (missing.length > 0) {
    throw new HookError(
      `GATEKEEPER_KEY_VAULT_SETTINGS lists ${missing.join(', ')}, but ${vault} has no ` +
        `${missing.map(secretName).join(', ')}: set the secret (docs/deploy.md, "Secrets") or drop it from the list`,
    );
  }
  log(`Key Vault holds every listed secret (${listed.map(secretName).join(', ')})`);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (process.argv.includes('--describe')) {
    console.log(
      JSON.stringify({ appRoles: APP_ROLES.map((role) => role.value), secretSettings: SECRET_SETTINGS }),
    );
    return;
  }
  checkAccountSettings();
  await configureAppRegistration();
  await checkListedSecrets(await writeSecrets());
}

main().catch((error) => {
  console.error(`postprovision: ${error instanceof HookError ? error.message : (error?.stack ?? error)}`);
  process.exit(1);
});
