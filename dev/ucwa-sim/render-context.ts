import type { Application } from './model.js';
import type { ResolvedOptions } from './options.js';

/** What representation builders need: the application, how to write hrefs, and the account. */
export interface RenderContext {
  app: Application;
  opts: ResolvedOptions;
  /** Href as resources carry it (relative unless hrefStyle is 'absolute'). */
  href(path: string): string;
  /** Href as event senders/links carry it (absolute unless hrefStyle is 'relative'). */
  eventHref(path: string): string;
  /** Name of the GUID-named property that must be echoed in a PUT of communication. */
  putMarker: string;
}

export type Json = Record<string, unknown>;

export function link(href: string, title?: string): { href: string; title?: string } {
  return title ? { href, title } : { href };
}
