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

/** Redirect hops followed before giving up, `redirect` links and HTTP redirects alike: real deployments use one or two. */
export const MAX_REDIRECTS = 4;

const HTTP_REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Autodiscovery (docs/ucwa-protocol.md §2): root → `redirect`* → `user` (401 challenge → token → retry) →
 * `applications`. A root's `redirect` is followed before its `user`; a user's `applications` wins over its
 * `redirect` (the docs say a user homed elsewhere carries a redirect *instead*). HTTP redirects are followed
 * here and nowhere else (§2.2): every hop passes the origin policy before a byte is sent, shares the hop limit,
 * and may never go from https to http.
 */
export async function discover(
  transport: UcwaTransport,
  discoveryUrl: string,
  signal?: AbortSignal,
): Promise<Discovery> {
  const path: string[] = [];
  let redirects = 0;
  const follow = (href: string, from: string): string => {
    if (++redirects > MAX_REDIRECTS) {
      throw new DiscoveryError(from, `more than ${MAX_REDIRECTS} redirects`);
    }
    const to = resolveHref(href, from);
    if (new URL(from).protocol === 'https:' && new URL(to).protocol !== 'https:') {
      throw new DiscoveryError(from, 'refusing a redirect from https to http');
    }
    return to;
  };
  /** The URL requested last: where a 401 came from. */
  let current = discoveryUrl;
  /** GET `url`, following HTTP redirects; the body and the URL it finally came from. */
  const get = async (start: string, auth: boolean) => {
    let url = start;
    for (;;) {
      current = url;
      path.push(url);
      const response = await transport.request({ method: 'GET', url, auth, signal, redirects: 'return' });
      if (!HTTP_REDIRECTS.has(response.status)) return { url, body: response.body };
      const location = response.headers.get('location');
      if (!location) throw new DiscoveryError(url, `a ${response.status} without a Location header`);
      url = follow(location, url);
    }
  };
  /** GET user without a token first: its 401 names the token issuer (needed for Skype for Business Server). */
  const getUser = async (start: string) => {
    let url = start;
    try {
      const anonymous = await get(url, false);
      return { url: anonymous.url, user: parseAs('user', anonymous.body) };
    } catch (error) {
      if (!(error instanceof UcwaError) || error.status !== 401) throw error;
      url = current;
    }
    const signedIn = await get(url, true);
    return { url: signedIn.url, user: parseAs('user', signedIn.body) };
  };

  let url = discoveryUrl;
  for (;;) {
    const fetched = await get(url, false);
    url = fetched.url;
    const root = parseAs('root', fetched.body);
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
    const { url: userUrl, user: userResource } = await getUser(resolveHref(user, url));
    const applications = hrefOf(userResource, 'applications');
    if (applications) return { applicationsUrl: resolveHref(applications, userUrl), path };
    const userRedirect = hrefOf(userResource, 'redirect');
    if (!userRedirect) {
      throw new DiscoveryError(userUrl, 'the user resource offers neither applications nor a redirect link');
    }
    url = follow(userRedirect, userUrl);
  }
}
