import { describe, expect, it } from 'vitest';
import { mergeSerializedCaches } from '../../shared/auth/cache-merge.js';

const cache = (sections: Record<string, Record<string, unknown>>) => JSON.stringify(sections);

describe('mergeSerializedCaches', () => {
  const base = cache({ RefreshToken: { rt: { secret: 'rt-1' } }, AccessToken: { at1: { secret: 'a1' } } });

  it('keeps the other writer’s rotated refresh token when this instance did not touch it', () => {
    const local = cache({
      RefreshToken: { rt: { secret: 'rt-1' } },
      AccessToken: { at1: { secret: 'a1' }, at2: { secret: 'a2' } },
    });
    const remote = cache({
      RefreshToken: { rt: { secret: 'rt-2' } },
      AccessToken: { at1: { secret: 'a1' } },
    });
    expect(JSON.parse(mergeSerializedCaches(base, local, remote))).toEqual({
      RefreshToken: { rt: { secret: 'rt-2' } },
      AccessToken: { at1: { secret: 'a1' }, at2: { secret: 'a2' } },
    });
  });

  it('lets this instance’s own change win', () => {
    const local = cache({
      RefreshToken: { rt: { secret: 'rt-local' } },
      AccessToken: { at1: { secret: 'a1' } },
    });
    const remote = cache({
      RefreshToken: { rt: { secret: 'rt-remote' } },
      AccessToken: { at1: { secret: 'a1' } },
    });
    expect(JSON.parse(mergeSerializedCaches(base, local, remote)).RefreshToken).toEqual({
      rt: { secret: 'rt-local' },
    });
  });

  it('removes what this instance removed, unless the other writer replaced it meanwhile', () => {
    const local = cache({ RefreshToken: {}, AccessToken: {} });
    const remote = cache({
      RefreshToken: { rt: { secret: 'rt-2' } },
      AccessToken: { at1: { secret: 'a1' } },
    });
    expect(JSON.parse(mergeSerializedCaches(base, local, remote))).toEqual({
      RefreshToken: { rt: { secret: 'rt-2' } },
      AccessToken: {},
    });
  });

  it('merges into an empty or missing remote, and from a missing base', () => {
    const local = cache({ AccessToken: { at1: { secret: 'a1' } } });
    expect(JSON.parse(mergeSerializedCaches(undefined, local, '{}'))).toEqual({
      AccessToken: { at1: { secret: 'a1' } },
    });
    expect(
      JSON.parse(mergeSerializedCaches(undefined, local, cache({ AccessToken: { at9: { secret: 'x' } } }))),
    ).toEqual({
      AccessToken: { at1: { secret: 'a1' }, at9: { secret: 'x' } },
    });
  });
});
