/**
 * The infrastructure sets exactly the settings the code reads.
 *
 * Compiles infra/main.bicep with the real Bicep compiler (through `infra/build.mjs`, the same script as
 * `npm run infra:build`, which restores the compiler when it is missing and fails on any warning), then
 * walks the ARM JSON for every function app's `siteConfig.appSettings`, however deeply the modules nest,
 * and compares the names with `settingDocs` from shared/config.ts in both directions. If the compiler
 * cannot be had, the build fails and so does this file: it never skips.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingDocs } from '../../shared/config.js';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const buildScript = join(repoRoot, 'infra', 'build.mjs');

/** Settings the code reads that the template deliberately leaves unset in Azure, and why. */
const notSetInAzure: Record<string, string> = {
  AzureWebJobsStorage:
    'a connection string needs shared keys, which the storage account disables; the identity-based AzureWebJobsStorage__* settings replace it',
};

/**
 * Settings the template sets that settingDocs does not list: the Functions host reads them. Once the code
 * reads one too (settingDocs lists it), the last test below asks to drop it from here.
 */
const hostRead: Record<string, string> = {
  AzureWebJobsStorage__credential:
    'host storage signs in with a managed identity instead of a connection string',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface AppSetting {
  name: string;
  value: Json;
}

const isObject = (node: Json | undefined): node is JsonObject =>
  typeof node === 'object' && node !== null && !Array.isArray(node);

/** Every object in the template whose `type` is `type`, at any depth (nested module templates included). */
function resourcesOfType(node: Json, type: string, found: JsonObject[] = []): JsonObject[] {
  if (Array.isArray(node)) {
    for (const item of node) resourcesOfType(item, type, found);
  } else if (isObject(node)) {
    if (typeof node.type === 'string' && node.type.toLowerCase() === type.toLowerCase()) found.push(node);
    for (const value of Object.values(node)) resourcesOfType(value, type, found);
  }
  return found;
}

/** The app settings a `Microsoft.Web/sites` resource sets through `properties.siteConfig.appSettings`. */
function appSettingsOf(site: JsonObject): AppSetting[] {
  const properties = site.properties;
  const siteConfig = isObject(properties) ? properties.siteConfig : undefined;
  const list = isObject(siteConfig) ? siteConfig.appSettings : undefined;
  if (list === undefined) return [];
  if (typeof list === 'string') return literalPart(list);
  if (!Array.isArray(list)) {
    throw new Error(`appSettings is neither a list nor an expression: ${JSON.stringify(list)}`);
  }
  return list.map((entry) => {
    if (!isObject(entry) || typeof entry.name !== 'string' || entry.name.startsWith('[')) {
      throw new Error(`app setting without a literal name: ${JSON.stringify(entry)}`);
    }
    return { name: entry.name, value: entry.value ?? null };
  });
}

/** The accounts' own settings, as the template compiles `concat([...], accountAppSettings)`: after the list. */
const ACCOUNT_PART =
  "concat(map(filter(items(parameters('accountSettings')), lambda('item', startsWith(lambdaVariables('item').key, 'ACCOUNT__')))";

/**
 * The settings of `[concat(createArray(<literal settings>), <the accounts' settings>)]`: each
 * `createObject('name', '<name>', 'value', <expression>)` with its value's expression as text. Anything but
 * the accounts' part after the literal list fails, so no setting hides there.
 */
function literalPart(expression: string): AppSetting[] {
  const prefix = '[concat(createArray(';
  if (!expression.startsWith(prefix))
    throw new Error(`appSettings is an expression of another shape: ${expression.slice(0, 200)}`);
  const body = expression.slice(prefix.length);
  const settings: AppSetting[] = [];
  let at = 0;
  while (body[at] !== ')') {
    const head = /^,?\s*createObject\('name', '([^']+)', 'value', /.exec(body.slice(at));
    if (!head?.[1]) throw new Error(`unexpected text in appSettings: ${body.slice(at, at + 80)}`);
    at += head[0].length;
    // The value runs to the parenthesis that closes createObject (quotes: '' escapes a quote).
    let depth = 0;
    let quoted = false;
    const start = at;
    for (; at < body.length; at++) {
      const char = body[at];
      if (char === "'") quoted = !quoted;
      else if (!quoted && char === '(') depth++;
      else if (!quoted && char === ')') {
        if (depth === 0) break;
        depth--;
      }
    }
    settings.push({ name: head[1], value: body.slice(start, at) });
    at++;
  }
  const rest = body.slice(at + 1);
  if (!rest.startsWith(`, ${ACCOUNT_PART}`))
    throw new Error(
      `appSettings goes on with something other than the accounts' settings: ${rest.slice(0, 120)}`,
    );
  return settings;
}

const difference = (a: Iterable<string>, b: Set<string>) => [...a].filter((item) => !b.has(item)).sort();

let scratch = '';
let buildError = '';
let compiled: { template: JsonObject; settings: AppSetting[] } | undefined;

/** The compiled template and its app settings; throws (failing the calling test) when the build failed. */
function build() {
  if (!compiled) throw new Error(buildError || 'the template was not compiled');
  return compiled;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'infra-test-'));
  try {
    await run(process.execPath, [buildScript, '--outdir', scratch], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    // Recorded, not thrown: a throwing beforeAll would report the tests as skipped. Every test fails instead.
    buildError = `infra/build.mjs failed (the Bicep compiler must be available; these tests never skip):\n${stdout}${stderr}`;
    return;
  }
  const template = JSON.parse(readFileSync(join(scratch, 'main.json'), 'utf8')) as JsonObject;
  const sites = resourcesOfType(template, 'Microsoft.Web/sites');
  compiled = { template, settings: sites.flatMap(appSettingsOf) };
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('npm run infra:build', () => {
  it('compiles and lints infra/ with zero warnings', () => {
    expect(buildError).toBe('');
    const { template } = build();
    expect(resourcesOfType(template, 'Microsoft.Web/sites'), 'exactly one function app').toHaveLength(1);
    // Settings set another way would escape the comparison below.
    expect(
      resourcesOfType(template, 'Microsoft.Web/sites/config'),
      'no separate sites/config resource',
    ).toEqual([]);
  });
});

describe('function app settings in infra/main.bicep', () => {
  const codeSettings = new Set(Object.keys(settingDocs));

  it('sets each setting once', () => {
    const names = build().settings.map((setting) => setting.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('sets every setting the code reads (settingDocs), except the documented ones', () => {
    const set = new Set(build().settings.map((setting) => setting.name));
    const expected = [...codeSettings].filter((name) => !(name in notSetInAzure));
    expect(difference(expected, set)).toEqual([]);
  });

  it('sets nothing the code does not read, except settings the host reads', () => {
    const allowed = new Set([...codeSettings, ...Object.keys(hostRead)]);
    expect(difference(new Set(build().settings.map((setting) => setting.name)), allowed)).toEqual([]);
  });

  it('keeps both exception lists honest', () => {
    const set = new Set(build().settings.map((setting) => setting.name));
    for (const [name, reason] of Object.entries(hostRead)) {
      expect(reason.length, `reason for ${name}`).toBeGreaterThan(10);
      expect(codeSettings.has(name), `${name} is read by the code now: drop it from hostRead`).toBe(false);
      expect(set.has(name), `${name} is listed as host-read but the template does not set it`).toBe(true);
    }
    for (const [name, reason] of Object.entries(notSetInAzure)) {
      expect(reason.length, `reason for ${name}`).toBeGreaterThan(10);
      expect(codeSettings.has(name), `${name} is no longer in settingDocs`).toBe(true);
      expect(set.has(name), `${name} is listed as not set in Azure but the template sets it`).toBe(false);
    }
  });

  it('takes every secret from a Key Vault reference and nothing else from one', () => {
    for (const { name, value } of build().settings) {
      const doc = settingDocs[name as keyof typeof settingDocs];
      const text = JSON.stringify(value);
      if (doc?.secret) {
        const secretName = name.toLowerCase().replaceAll('_', '-');
        expect(text, `${name} comes from Key Vault`).toContain('@Microsoft.KeyVault(SecretUri=');
        expect(text, `${name} reads the secret ${secretName}`).toContain(`${secretName})`);
      } else {
        expect(text, `${name} is not a secret`).not.toContain('Microsoft.KeyVault');
      }
    }
  });

  it("appends the accounts' own settings: only ACCOUNT__ names, their secrets as Key Vault references", () => {
    const [site] = resourcesOfType(build().template, 'Microsoft.Web/sites');
    const expression = JSON.stringify(site?.properties);
    const accounts = expression.slice(expression.indexOf(ACCOUNT_PART));
    expect(accounts).toContain(
      "map(filter(parameters('vaultReferencedSettings'), lambda('setting', startsWith(lambdaVariables('setting'), 'ACCOUNT__')))",
    );
    expect(accounts).toContain("format('@Microsoft.KeyVault(SecretUri={0}{1})'");
    expect(accounts).toContain("toLower(replace(lambdaVariables('setting'), '_', '-'))");
  });

  it('resolves Key Vault references with the user-assigned identity', () => {
    const [site] = resourcesOfType(build().template, 'Microsoft.Web/sites');
    const properties = site?.properties;
    expect(isObject(properties) && typeof properties.keyVaultReferenceIdentity === 'string').toBe(true);
    expect(isObject(site?.identity) && site.identity.type).toBe('UserAssigned');
  });
});

describe('role assignments', () => {
  it('each sits on a resource scope and has a deterministic guid() name', () => {
    const assignments = resourcesOfType(build().template, 'Microsoft.Authorization/roleAssignments');
    // Storage (one loop: blob, queue, table), telemetry publisher, secrets reader, optional secrets writer.
    expect(assignments).toHaveLength(4);
    for (const assignment of assignments) {
      expect(String(assignment.name), 'name').toMatch(/^\[guid\(/);
      expect(typeof assignment.scope === 'string' && assignment.scope.length > 0, 'resource scope').toBe(
        true,
      );
    }
  });
});

describe('infra/main.parameters.json', () => {
  it('names only template parameters and supplies every required one', () => {
    const parameterFile = JSON.parse(
      readFileSync(join(repoRoot, 'infra', 'main.parameters.json'), 'utf8'),
    ) as {
      parameters: Record<string, unknown>;
    };
    const declared = build().template.parameters;
    expect(isObject(declared)).toBe(true);
    const declaredParameters = declared as JsonObject;
    const supplied = new Set(Object.keys(parameterFile.parameters));
    expect(difference(supplied, new Set(Object.keys(declaredParameters)))).toEqual([]);
    const required = Object.entries(declaredParameters)
      .filter(([, definition]) => isObject(definition) && !('defaultValue' in definition))
      .map(([name]) => name);
    expect(difference(required, supplied)).toEqual([]);
  });
});

describe('infra/bicepconfig.json', () => {
  it('turns the linter rules it names into errors (the rule names are real)', async () => {
    build();
    const { stdout } = await run(process.execPath, [buildScript, '--print-bin'], { cwd: repoRoot });
    const bicep = stdout.trim().split('\n').at(-1) ?? '';
    const dir = join(scratch, 'lint-fixture');
    mkdirSync(dir, { recursive: true });
    const fixture = join(dir, 'bad.bicep');
    writeFileSync(
      fixture,
      [
        'param unusedThing string',
        'param settings object',
        "param loc string = 'westeurope'",
        "var authority = 'https://login.microsoftonline.com/'",
        "resource st 'Microsoft.Storage/storageAccounts@2021-01-01' = {",
        "  name: 'stfixture'",
        '  location: loc',
        "  kind: 'StorageV2'",
        "  sku: { name: 'Standard_LRS' }",
        '}',
        'output settingsOut object = settings',
        'output authorityOut string = authority',
        'output key string = st.listKeys().keys[0].value',
        '',
      ].join('\n'),
    );
    const config = join(repoRoot, 'infra', 'bicepconfig.json');
    const result = await run(bicep, ['lint', fixture, '--no-restore', '--config', config]).catch(
      (error: { stdout?: string; stderr?: string }) => ({
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
    const output = `${result.stdout}${result.stderr}`;
    for (const rule of [
      'no-unused-params',
      'use-user-defined-types',
      'no-hardcoded-env-urls',
      'use-recent-api-versions',
      'outputs-should-not-contain-secrets',
    ]) {
      expect(output, rule).toMatch(new RegExp(`: Error ${rule}:`));
    }
  }, 120_000);
});
