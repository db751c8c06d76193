import { getDomain } from 'tldts';
import { isHttpsOrLoopback } from '../lib/loopback.js';
import { OriginNotAllowedError } from './errors.js';

/**
 * Which origins may receive UCWA requests (and so the bearer token). Either an explicit list, or by default
 * the discovery origin and every origin within the discovery host's domain: `lyncdiscover.contoso.com` admits
 * `lyncweb.contoso.com` and `pool1.fe.contoso.com`, never `contoso.evil.com`. Plain http only on loopback.
 */
export class OriginPolicy {
  private readonly explicit: Set<string> | undefined;
  private readonly domain: string | undefined;
  private readonly discoveryOrigin: string | undefined;

  constructor(options: { discoveryUrl?: string; allowedOrigins?: readonly string[] }) {
    if (options.allowedOrigins && options.allowedOrigins.length > 0) {
      this.explicit = new Set(options.allowedOrigins.map((origin) => new URL(origin).origin));
    }
    if (options.discoveryUrl) {
      const url = new URL(options.discoveryUrl);
      this.discoveryOrigin = url.origin;
      this.domain = discoveryDomain(url.hostname);
    }
  }

  /** Throws OriginNotAllowedError unless a request to `url` is allowed. */
  check(url: string): void {
    const reason = this.refusal(new URL(url));
    if (reason) throw new OriginNotAllowedError(new URL(url).origin, reason);
  }

  allows(url: string): boolean {
    return this.refusal(new URL(url)) === undefined;
  }

  private refusal(url: URL): string | undefined {
    if (!isHttpsOrLoopback(url)) {
      return 'only https is allowed (http only for loopback addresses)';
    }
    if (url.username || url.password) return 'URLs with credentials are not allowed';
    if (this.explicit) return this.explicit.has(url.origin) ? undefined : 'not in UCWA_ALLOWED_ORIGINS';
    if (url.origin === this.discoveryOrigin) return undefined;
    const host = url.hostname.toLowerCase();
    if (this.domain && (host === this.domain || host.endsWith(`.${this.domain}`))) return undefined;
    return `outside the discovery domain ${this.domain ?? '(none)'}`;
  }
}

/**
 * The domain whose hosts a discovery URL vouches for: the SIP domain for `lyncdiscover[internal].<domain>`
 * (the documented discovery names) unless that is a public suffix (`lyncdiscover.co.uk` must not vouch for
 * every `*.co.uk`; checked against the public-suffix list), otherwise the discovery host itself and its
 * subdomains. An IP address vouches for itself only (any port).
 */
export function discoveryDomain(hostname: string): string {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const [first, ...rest] = host.split('.');
  const domain = rest.join('.');
  if (
    (first === 'lyncdiscover' || first === 'lyncdiscoverinternal') &&
    rest.length >= 2 &&
    getDomain(domain, { allowPrivateDomains: true }) !== null
  )
    return domain;
  return host;
}
