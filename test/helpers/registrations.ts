import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Registration {
  name: string;
  kind: 'http' | 'timer' | 'queue' | string;
  route?: string;
  methods?: string[];
  schedule?: string;
  queueName?: string;
}

/** Runs an entry point in a fresh Node process with the worker's core module stood in for; its output. */
async function runEntry(entry: string): Promise<string> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--require',
      join(root, 'test/helpers/functions-core-stub.cjs'),
      ...(entry.endsWith('.ts') ? ['--import', tsx] : []),
      entry,
    ],
    { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return stdout;
}

function capturedLine(stdout: string, tag: string): unknown {
  const line = stdout.split('\n').find((l) => l.startsWith(`${tag} `));
  if (!line) throw new Error(`no ${tag} line:\n${stdout}`);
  return JSON.parse(line.slice(tag.length + 1));
}

/** The hooks an entry point registers with the real worker (`appStart`, `appTerminate`, …), by name. */
export async function captureHooks(entry = join(root, 'functions/index.ts')): Promise<string[]> {
  return capturedLine(await runEntry(entry), 'HOOKS') as string[];
}

/** What an entry point registers with the real worker: the function metadata it received. */
export async function captureRegistrations(
  entry = join(root, 'functions/index.ts'),
): Promise<Registration[]> {
  const metadata = capturedLine(await runEntry(entry), 'CAPTURED') as {
    name: string;
    bindings: Record<
      string,
      {
        type: string;
        direction: string;
        route?: string;
        methods?: string[];
        schedule?: string;
        queueName?: string;
      }
    >;
  }[];
  return metadata.map(({ name, bindings }) => {
    const trigger = Object.values(bindings).find((binding) => binding.type.endsWith('Trigger'));
    if (trigger?.type === 'httpTrigger') {
      return { name, kind: 'http', route: trigger.route ?? name, methods: [...(trigger.methods ?? [])] };
    }
    if (trigger?.type === 'timerTrigger') return { name, kind: 'timer', schedule: trigger.schedule ?? '' };
    if (trigger?.type === 'queueTrigger') return { name, kind: 'queue', queueName: trigger.queueName ?? '' };
    return { name, kind: trigger?.type ?? 'unknown' };
  });
}
