import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The UCWA reference samples are not part of the repository. The sample-parsing tests read them from
 * `$UCWA_SAMPLES_DIR`, or from ../shared/ucwa-samples beside the repository when it is there, and skip (saying
 * so in their titles) when neither exists.
 */
export const SAMPLES_DIR =
  process.env.UCWA_SAMPLES_DIR ??
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'ucwa-samples');

export const SAMPLES_PRESENT = existsSync(SAMPLES_DIR);

/** A test title that says why it was skipped when the samples are missing. */
export function withSamplesNote(title: string): string {
  return SAMPLES_PRESENT ? title : `${title} (skipped: no UCWA reference samples at ${SAMPLES_DIR})`;
}

export interface Sample {
  resource: string;
  file: string;
  kind: string;
  body: unknown;
}

/** Every JSON sample of the given resources (folder names); none when the samples are missing. */
export function jsonSamples(resources: readonly string[]): Sample[] {
  if (!SAMPLES_PRESENT) return [];
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
