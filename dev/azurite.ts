import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The well-known development account every Azurite instance accepts. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const READY = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/g;

function azuriteEntry(): string {
  const packageJson = createRequire(import.meta.url).resolve('azurite/package.json');
  return join(dirname(packageJson), 'dist', 'src', 'azurite.js');
}

function connectionString(endpoints: Record<'Blob' | 'Queue' | 'Table', string>): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${endpoints.Blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=${endpoints.Queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=${endpoints.Table}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts Azurite (blob, queue, table) in memory on free ports and waits until all three listen. The child
 * exits with this process: on `stop()`, on this process's exit, and (through a closed stdin pipe) when this
 * process is killed outright.
 */
export async function startAzurite(options: { timeoutMs?: number } = {}): Promise<AzuriteInstance> {
  const preload = fileURLToPath(new URL('./exit-with-parent.cjs', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--require',
      preload,
      azuriteEntry(),
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--silent',
      '--skipApiVersionCheck',
      '--blobHost',
      '127.0.0.1',
      '--queueHost',
      '127.0.0.1',
      '--tableHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--queuePort',
      '0',
      '--tablePort',
      '0',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoints = await new Promise<Record<'Blob' | 'Queue' | 'Table', string>>((resolve, reject) => {
    const found: Partial<Record<'Blob' | 'Queue' | 'Table', string>> = {};
    let output = '';
    const timeoutMs = options.timeoutMs ?? 15_000;
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExit = (code: number | null) => fail(new Error(`Azurite exited early with code ${code}`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${output.slice(-2000)}`));
    }
    function onData(chunk: Buffer) {
      output += chunk.toString();
      for (const match of output.matchAll(READY)) {
        const service = match[1] as 'Blob' | 'Queue' | 'Table';
        if (match[2]) found[service] = match[2];
      }
      if (found.Blob && found.Queue && found.Table) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep draining so a chatty child never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ Blob: found.Blob, Queue: found.Queue, Table: found.Table });
      }
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', fail);
    child.once('exit', onExit);
  });

  return {
    connectionString: connectionString(endpoints),
    blobEndpoint: `${endpoints.Blob}/${AZURITE_ACCOUNT}`,
    queueEndpoint: `${endpoints.Queue}/${AZURITE_ACCOUNT}`,
    tableEndpoint: `${endpoints.Table}/${AZURITE_ACCOUNT}`,
    pid: child.pid ?? -1,
    stop: async () => {
      process.off('exit', killOnExit);
      await stopChild(child);
    },
  };
}
