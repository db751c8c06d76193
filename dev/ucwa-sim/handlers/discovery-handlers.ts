import { emptyResponse, jsonResponse, type SimResponse, textResponse } from '../http-types.js';
import type { ResolvedOptions } from '../options.js';
import { applicationsBase, DISCOVERY_ROOT, discoveryUserPath, xframePath } from '../paths.js';

/**
 * Autodiscovery (docs/ucwa-protocol.md §2.1): every root but the last sends the client on to the next
 * autodiscover root, on another origin — a `redirect` link, or an HTTP 302 with `discoveryRedirectsAs: 'http'`;
 * the last one links `user` (and `xframe`). `user` links the applications URL on the pool.
 */
export function rootResponse(opts: ResolvedOptions, discoveryOrigins: string[], hop: number): SimResponse {
  const next = discoveryOrigins[hop + 1];
  if (next && opts.discoveryRedirectsAs === 'http') {
    // RootURL.md: a first hop may be answered with an HTTP redirect (to https) instead of a redirect link.
    return emptyResponse(302, { Location: `${next}${DISCOVERY_ROOT}` });
  }
  if (next) return jsonResponse(200, { _links: { redirect: { href: `${next}${DISCOVERY_ROOT}` } } });
  const here = discoveryOrigins[hop] ?? '';
  const href = (path: string) => (absoluteDiscovery(opts) ? `${here}${path}` : path);
  return jsonResponse(200, {
    rel: 'root',
    _links: {
      self: { href: href(DISCOVERY_ROOT) },
      user: { href: href(discoveryUserPath(opts.pathFamily, opts.domain)) },
      xframe: { href: href(xframePath(opts.pathFamily)) },
    },
  });
}

export function userResponse(opts: ResolvedOptions, origin: string, poolOrigin: string): SimResponse {
  const href = (path: string) => (absoluteDiscovery(opts) ? `${origin}${path}` : path);
  return jsonResponse(200, {
    rel: 'user',
    _links: {
      self: { href: href(discoveryUserPath(opts.pathFamily, opts.domain)) },
      applications: { href: `${poolOrigin}${applicationsBase(opts.pathFamily)}` },
      xframe: { href: href(xframePath(opts.pathFamily)) },
    },
  });
}

/** The captured traffic has absolute hrefs on root and user (CreateAnApplication.md, RootURL.md). */
function absoluteDiscovery(opts: ResolvedOptions): boolean {
  return opts.traffic === 'captured' || opts.hrefStyle === 'absolute';
}

export function isUserPath(opts: ResolvedOptions, pathname: string): boolean {
  const wanted = discoveryUserPath(opts.pathFamily, opts.domain).split('?')[0]?.toLowerCase();
  return pathname.toLowerCase() === wanted;
}

export function isXframePath(opts: ResolvedOptions, pathname: string): boolean {
  return pathname.toLowerCase() === xframePath(opts.pathFamily).toLowerCase();
}

/** The browser-only cross-domain frame; served without a token, like the real one (an HTML page). */
export function xframeResponse(): SimResponse {
  return textResponse(
    200,
    'text/html; charset=utf-8',
    '<!DOCTYPE html><html><head><title>XFrame</title></head><body></body></html>',
  );
}
