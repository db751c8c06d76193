import { DiscoveryError, UcwaError } from './errors.js';
import { hrefOf, resolveHref } from './links.js';
import { parseAs } from './parse.js';
import type { UcwaTransport } from './transport.js';

export interface Discovery {
  /** The UCWA entry point (`.../ucwa/oauth/v1/applications`). */
  applicationsUrl: string;
  /** Every URL visited, in order, for diagnostics. */
  path: string[];
}

/** Redirect hops followed before giving up: real deployments use one or two. */
export const MAX_REDIRECTS = 4;

/**
 * Autodiscovery (docs/ucwa-protocol.md §2): root → `redirect`* → `user` (401 challenge → token → retry) → `applications`.
 * A root's `redirect` is followed before its `user`; a user's `applications` wins over its `redirect`
 * (the docs say a user homed elsewhere carries a redirect *instead*). Every hop must pass the origin policy.
 */
export async function discover(
  transport: UcwaTransport,
  discoveryUrl: string,
  signal?: AbortSignal,
): Promise<Discovery> {
  const path: string[] = [];
  let url = discoveryUrl;
  let redirects = 0;
  const follow = (href: string, from: string): string => {
    if (++redirects > MAX_REDIRECTS) {
      throw new DiscoveryError(from, `more than ${MAX_REDIRECTS} redirects`);
    }
    return resolveHref(href, from);
  };

  for (;;) {
    path.push(url);
    const root = parseAs('root', (await transport.request({ method: 'GET', url, auth: false, signal })).body);
    const redirect = hrefOf(root, 'redirect');
    const user = hrefOf(root, 'user');
    if (redirect && !user) {
      url = follow(redirect, url);
      continue;
    }
    if (redirect && user && resolveHref(redirect, url) !== resolveHref(user, url)) {
      url = follow(redirect, url);
      continue;
    }
    if (!user) throw new DiscoveryError(url, 'the root offers neither a user nor a redirect link');
    const userUrl = resolveHref(user, url);
    path.push(userUrl);
    const userResource = await getUser(transport, userUrl, signal);
    const applications = hrefOf(userResource, 'applications');
    if (applications) return { applicationsUrl: resolveHref(applications, userUrl), path };
    const userRedirect = hrefOf(userResource, 'redirect');
    if (!userRedirect) {
      throw new DiscoveryError(userUrl, 'the user resource offers neither applications nor a redirect link');
    }
    url = follow(userRedirect, userUrl);
  }
}

/** GET user without a token first: its 401 names the token issuer (needed for Skype for Business Server). */
async function getUser(transport: UcwaTransport, url: string, signal?: AbortSignal) {
  try {
    const anonymous = await transport.request({ method: 'GET', url, auth: false, signal });
    return parseAs('user', anonymous.body);
  } catch (error) {
    if (!(error instanceof UcwaError) || error.status !== 401) throw error;
  }
  return parseAs('user', (await transport.request({ method: 'GET', url, signal })).body);
}
