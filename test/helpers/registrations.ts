import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Registration {
  name: string;
  kind: 'http' | 'timer' | string;
  route?: string;
  methods?: string[];
  schedule?: string;
}

/**
 * What an entry point registers with the real worker: runs it in a fresh Node process with the worker's core
 * module stood in for, and reads back the function metadata it received.
 */
export async function captureRegistrations(
  entry = join(root, 'functions/index.ts'),
): Promise<Registration[]> {
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
  const line = stdout.split('\n').find((l) => l.startsWith('CAPTURED '));
  if (!line) throw new Error(`no registrations captured:\n${stdout}`);
  const metadata = JSON.parse(line.slice('CAPTURED '.length)) as {
    name: string;
    bindings: Record<
      string,
      { type: string; direction: string; route?: string; methods?: string[]; schedule?: string }
    >;
  }[];
  return metadata.map(({ name, bindings }) => {
    const trigger = Object.values(bindings).find((binding) => binding.type.endsWith('Trigger'));
    if (trigger?.type === 'httpTrigger') {
      return { name, kind: 'http', route: trigger.route ?? name, methods: [...(trigger.methods ?? [])] };
    }
    if (trigger?.type === 'timerTrigger') return { name, kind: 'timer', schedule: trigger.schedule ?? '' };
    return { name, kind: trigger?.type ?? 'unknown' };
  });
}
