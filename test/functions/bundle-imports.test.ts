import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Packages the first request does not need: each must sit in a chunk loaded on first use, not in the entry. */
const LATER = [
  '@azure/msal-node',
  '@azure/storage-blob',
  '@azure/storage-queue',
  'jose',
  'applicationinsights',
];

describe('the deployed bundle', () => {
  it('loads MSAL, the Blob and Queue SDKs, jose and Application Insights only when they are needed', async () => {
    const { bundleMetafile } = await import('../../dev/bundle.js');
    const outdir = await mkdtemp(join(tmpdir(), 'gatekeeper-bundle-'));
    try {
      const { outputs } = await bundleMetafile(outdir);
      const entry = Object.keys(outputs).find((file) => file.endsWith('/main.js')) ?? '';
      // What importing the entry evaluates: the entry and every chunk it imports statically.
      const loaded = new Set<string>();
      const visit = (file: string) => {
        if (loaded.has(file) || !outputs[file]) return;
        loaded.add(file);
        for (const { path, kind } of outputs[file].imports) if (kind === 'import-statement') visit(path);
      };
      visit(entry);
      const packagesOf = (files: Iterable<string>) =>
        new Set(
          [...files].flatMap((file) =>
            Object.keys(outputs[file]?.inputs ?? {}).flatMap(
              (input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? [],
            ),
          ),
        );
      const atStart = packagesOf(loaded);
      const anywhere = packagesOf(Object.keys(outputs));
      for (const name of LATER) {
        expect(atStart.has(name), `${name} is loaded with the entry point`).toBe(false);
        expect(anywhere.has(name), `${name} is in no chunk at all`).toBe(true);
      }
      // What the first request does need stays in: storage tables and the Functions library.
      expect(atStart.has('@azure/data-tables')).toBe(true);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});
