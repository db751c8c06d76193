/**
 * Module loader hooks for the first-removal child (registered with `module.register`, so they run on the
 * loader's thread): every module loaded from then on is posted back with when its load began and ended, so a
 * module the first removal has to load (a lazy import) shows up in its breakdown. Times are epoch ms.
 */
import type { MessagePort } from 'node:worker_threads';

let port: MessagePort | undefined;

export function initialize(data: { port: MessagePort }): void {
  port = data.port;
}

type NextLoad = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<unknown> {
  const start = performance.timeOrigin + performance.now();
  const result = await nextLoad(url, context);
  port?.postMessage({ url, start, end: performance.timeOrigin + performance.now() });
  return result;
}
