import type { UcwaLink, UcwaResource } from './schemas.js';

/** Resolve a server href against the URL it was read from: hrefs may be relative or absolute (docs/ucwa-protocol.md §1). */
export function resolveHref(href: string, base: string): string {
  return new URL(href, base).toString();
}

/** The origin (scheme://host[:port]) a URL points at; tokens are per origin. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/** Every link under `rel`: a `_links` value may be one object or an array. */
export function linksOf(resource: UcwaResource | undefined, rel: string): UcwaLink[] {
  const value = resource?._links?.[rel];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first link under `rel`, if the server offers it. */
export function linkOf(resource: UcwaResource | undefined, rel: string): UcwaLink | undefined {
  return linksOf(resource, rel)[0];
}

export function hrefOf(resource: UcwaResource | undefined, rel: string): string | undefined {
  return linkOf(resource, rel)?.href;
}

/** Every embedded value under `rel` (one object or an array), still to be parsed with its schema. */
export function embeddedOf(resource: UcwaResource | undefined, rel: string): unknown[] {
  const value = resource?._embedded?.[rel];
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
