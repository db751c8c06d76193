import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The UCWA reference samples live beside the repository (../shared), never inside it. */
export const SAMPLES_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'shared',
  'ucwa-samples',
);

export interface Sample {
  resource: string;
  file: string;
  kind: string;
  body: unknown;
}

/** Every JSON sample of the given resources (folder names). Fails loudly if the samples are missing. */
export function jsonSamples(resources: readonly string[]): Sample[] {
  if (!existsSync(SAMPLES_DIR)) throw new Error(`UCWA samples not found at ${SAMPLES_DIR}`);
  const out: Sample[] = [];
  for (const resource of resources) {
    const dir = join(SAMPLES_DIR, resource);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.json') || file.includes('.part')) continue;
      const kind = file.replace(/-\d+\.json$/, '');
      out.push({
        resource,
        file: `${resource}/${file}`,
        kind,
        body: JSON.parse(readFileSync(join(dir, file), 'utf8')),
      });
    }
  }
  return out;
}

export function sampleText(file: string): string {
  return readFileSync(join(SAMPLES_DIR, file), 'utf8');
}
