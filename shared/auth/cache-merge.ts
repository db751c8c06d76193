import { isDeepStrictEqual } from 'node:util';

/** MSAL's serialized cache: sections (Account, RefreshToken, ...) of entries keyed by cache key. */
type Section = Record<string, unknown>;
type SerializedCache = Record<string, unknown>;

function parse(text: string | undefined): SerializedCache {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as SerializedCache) : {};
}

function isSection(value: unknown): value is Section {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Three-way merge of serialized MSAL caches after a lost write race.
 *
 * `base` is what this instance read before its change, `local` what it wants to write, `remote` what another
 * instance wrote meanwhile. Entries this instance changed or added win; entries it did not touch keep the
 * remote value (so a refresh token another instance just rotated survives); an entry this instance removed
 * is removed only if the remote still holds the value it removed.
 */
export function mergeSerializedCaches(base: string | undefined, local: string, remote: string): string {
  const baseCache = parse(base);
  const localCache = parse(local);
  const merged = parse(remote);
  const sectionNames = new Set([...Object.keys(baseCache), ...Object.keys(localCache)]);
  for (const name of sectionNames) {
    const baseSection = isSection(baseCache[name]) ? (baseCache[name] as Section) : {};
    const localSection = isSection(localCache[name]) ? (localCache[name] as Section) : {};
    const remoteValue = merged[name];
    if (!isSection(remoteValue) && remoteValue !== undefined) {
      // Not a section (unknown top-level value): this instance's change wins if it made one.
      if (!isDeepStrictEqual(baseCache[name], localCache[name])) merged[name] = localCache[name];
      continue;
    }
    const section: Section = { ...(remoteValue ?? {}) };
    for (const key of new Set([...Object.keys(baseSection), ...Object.keys(localSection)])) {
      const inLocal = Object.hasOwn(localSection, key);
      const changedLocally = !isDeepStrictEqual(baseSection[key], localSection[key]);
      if (inLocal && changedLocally) section[key] = localSection[key];
      else if (!inLocal && isDeepStrictEqual(section[key], baseSection[key])) delete section[key];
    }
    merged[name] = section;
  }
  return JSON.stringify(merged);
}
