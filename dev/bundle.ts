/**
 * The deployed entry point as one ESM bundle: importing the unbundled tree costs ~0.6–0.9 s on a cold start
 * (the Azure SDKs' module graphs); a bundle ~0.25 s. Dynamic imports stay separate chunks, parsed only when
 * loaded: applicationinsights, MSAL, the Blob SDK and jose are not needed by the first request.
 * `@azure/functions-core` is provided by the Functions worker at run time.
 */
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function bundle(outdir = `${root}dist/bundle`): Promise<string> {
  await build(options(outdir));
  return `${outdir}/main.js`;
}

/** What went into each output file, and what each imports (the test of what a cold start loads reads it). */
export async function bundleMetafile(outdir: string): Promise<Metafile> {
  const { metafile } = await build({ ...options(outdir), metafile: true, sourcemap: false });
  return metafile;
}

function options(outdir: string): BuildOptions {
  return {
    entryPoints: { main: `${root}functions/index.ts` },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22', // the deployed runtime (infra/app/function.bicep)
    sourcemap: true,
    external: ['@azure/functions-core'],
    // Bundled CommonJS packages still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bundle().then((entry) => console.log(`bundled ${entry}`));
}
