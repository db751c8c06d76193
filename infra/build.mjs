#!/usr/bin/env node
// Compile and lint the infrastructure with the real Bicep compiler, and fail on any diagnostic.
//
//   node infra/build.mjs                  restore the compiler if needed, then build + lint + format check
//   node infra/build.mjs --outdir <dir>   write the compiled ARM template to <dir>/main.json
//                                         (default: .tools/infra/main.json, git-ignored)
//   node infra/build.mjs --format         rewrite the .bicep files in the canonical format instead of checking
//   node infra/build.mjs --print-bin      restore the compiler if needed and print its path (for tests)
//
// The compiler comes from NuGet (package Azure.Bicep.CommandLine.<rid>, version pinned in
// infra/bicep-tool/bicep-tool.csproj) and is restored with `dotnet restore` into .tools/nuget.
// Restoring is skipped when the binary is already there, so a warm run costs only the compiler runs.
// BICEP_BIN=/path/to/bicep uses another compiler instead (its version must match the pinned one).
//
// Plain Node (no TypeScript, no dependencies) so it runs on a clean clone before any build step.

import { spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const infraDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(infraDir, '..');
const toolProject = join(infraDir, 'bicep-tool', 'bicep-tool.csproj');
const packagesDir = join(repoRoot, '.tools', 'nuget');
const mainBicep = join(infraDir, 'main.bicep');
const configFile = join(infraDir, 'bicepconfig.json');

const RIDS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'osx-x64',
  'darwin-arm64': 'osx-arm64',
  'win32-x64': 'win-x64',
};

function fail(message) {
  console.error(`infra:build: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = { outdir: join(repoRoot, '.tools', 'infra'), format: false, printBin: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--format') options.format = true;
    else if (arg === '--print-bin') options.printBin = true;
    else if (arg === '--outdir') {
      const value = argv[++i];
      if (!value) fail('--outdir needs a directory');
      options.outdir = resolve(value);
    } else fail(`unknown argument ${arg}`);
  }
  return options;
}

/** Run a command; resolve with its exit code and output (never rejects for a non-zero exit). */
function run(command, args, { env } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) => resolvePromise({ code: -1, stdout, stderr: `${stderr}${error.message}\n` }));
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

function pinnedVersion() {
  const project = readFileSync(toolProject, 'utf8');
  const match = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(project);
  if (!match?.[1]) fail(`no <BicepVersion> in ${relative(repoRoot, toolProject)}`);
  return match[1].trim();
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function ensureCompiler(version) {
  if (process.env.BICEP_BIN) return { bin: process.env.BICEP_BIN, restored: false, seconds: 0 };

  const rid = RIDS[`${process.platform}-${process.arch}`];
  if (!rid)
    fail(
      `no Bicep package for ${process.platform}-${process.arch}; set BICEP_BIN to a bicep ${version} binary`,
    );
  const packageId = `Azure.Bicep.CommandLine.${rid}`;
  const bin = join(
    packagesDir,
    packageId.toLowerCase(),
    version,
    'tools',
    rid.startsWith('win') ? 'bicep.exe' : 'bicep',
  );
  if (existsSync(bin)) {
    if (!isExecutable(bin)) chmodSync(bin, 0o755);
    return { bin, restored: false, seconds: 0 };
  }

  const started = performance.now();
  console.error(`infra:build: restoring ${packageId} ${version} from NuGet (first run only)...`);
  const restore = await run(
    'dotnet',
    ['restore', toolProject, '--nologo', '--verbosity', 'quiet', `-p:BicepRid=${rid}`],
    { env: { DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' } },
  );
  if (restore.code !== 0) {
    fail(
      `could not restore the Bicep compiler (dotnet restore exited ${restore.code}).\n` +
        'It needs the .NET SDK (`dotnet`) and a reachable NuGet source.\n' +
        `${restore.stdout}${restore.stderr}`,
    );
  }
  if (!existsSync(bin)) fail(`restore succeeded but ${relative(repoRoot, bin)} is missing`);
  chmodSync(bin, 0o755); // NuGet extracts without the run bit
  return { bin, restored: true, seconds: (performance.now() - started) / 1000 };
}

/** Bicep reports diagnostics as `file(line,col) : Level CODE: message`; anything on stderr counts. */
function problems(step, result) {
  const output = `${result.stdout}${result.stderr}`.trim();
  const diagnostic = /\(\d+,\d+\) : (Error|Warning|Info) /m.test(output);
  if (result.code !== 0 || diagnostic || result.stderr.trim() !== '') {
    return [`${step} failed (exit ${result.code}):\n${output || '(no output)'}`];
  }
  return [];
}

function bicepFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.bicep'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Format a copy of infra/ and report the files whose text would change. */
async function formatCheck(bin) {
  const scratch = mkdtempSync(join(tmpdir(), 'infra-format-'));
  try {
    const copy = join(scratch, 'infra');
    cpSync(infraDir, copy, {
      recursive: true,
      filter: (source) => !source.includes(`${join(infraDir, 'bicep-tool')}`),
    });
    const result = await run(bin, ['format', '--pattern', `${copy}/**/*.bicep`]);
    const errors = problems('bicep format', result);
    if (errors.length > 0) return errors;
    const changed = bicepFiles(infraDir).filter((file) => {
      const formatted = readFileSync(join(copy, relative(infraDir, file)), 'utf8');
      return formatted !== readFileSync(file, 'utf8');
    });
    return changed.length === 0
      ? []
      : [
          `not in bicep format: ${changed.map((file) => relative(repoRoot, file)).join(', ')} (fix: node infra/build.mjs --format)`,
        ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const version = pinnedVersion();
  const compiler = await ensureCompiler(version);

  const checkVersion = async () => {
    const result = await run(compiler.bin, ['--version']);
    return result.code === 0 && result.stdout.includes(`Bicep CLI version ${version} `)
      ? []
      : [`${compiler.bin} is not Bicep ${version}: ${result.stdout}${result.stderr}`];
  };

  if (options.printBin) {
    console.log(compiler.bin);
    return;
  }

  if (options.format) {
    const wrongVersion = await checkVersion();
    if (wrongVersion.length > 0) fail(wrongVersion.join('\n'));
    const result = await run(compiler.bin, ['format', '--pattern', `${infraDir}/**/*.bicep`]);
    const errors = problems('bicep format', result);
    if (errors.length > 0) fail(errors.join('\n'));
    console.log('infra:build: formatted infra/**/*.bicep');
    return;
  }

  mkdirSync(options.outdir, { recursive: true });
  const outfile = join(options.outdir, 'main.json');
  const common = ['--no-restore', '--config', configFile];
  rmSync(outfile, { force: true });
  const [wrongVersion, build, lint, format] = await Promise.all([
    checkVersion(),
    run(compiler.bin, ['build', mainBicep, '--outfile', outfile, ...common]),
    run(compiler.bin, ['lint', '--pattern', `${infraDir}/**/*.bicep`, ...common]),
    formatCheck(compiler.bin),
  ]);
  const errors = [
    ...wrongVersion,
    ...problems('bicep build', build),
    ...problems('bicep lint', lint),
    ...format,
  ];
  if (!existsSync(outfile)) errors.push(`bicep build wrote no ${relative(repoRoot, outfile)}`);
  if (errors.length > 0) fail(errors.join('\n\n'));

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const restored = compiler.restored ? `, compiler restored in ${compiler.seconds.toFixed(1)} s` : '';
  console.log(
    `infra:build: bicep ${version}: build, lint (${bicepFiles(infraDir).length} files) and format clean, ` +
      `no warnings -> ${relative(repoRoot, outfile) || outfile} (${seconds} s${restored})`,
  );
}

await main();
