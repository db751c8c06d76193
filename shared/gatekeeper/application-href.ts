/**
 * Hrefs a caller sends (`/api/inspect`, pushed events) are fetched with the service account's token, so they
 * must point into the gatekeeper's own UCWA application. Checked on the parsed URL — dot segments resolved —
 * never on the raw text, and anything a server might decode into a traversal is refused outright.
 */

/** Encoded dots, slashes, backslashes and NULs; raw backslashes, whitespace and controls (URL parsers drop some). */
const TRICKS = /%(?:2e|2f|5c|00)|[\\\s\p{Cc}]/iu;

/**
 * The normalised absolute href when `href` (absolute, or relative to `applicationHref`) lies inside the
 * application; undefined otherwise.
 */
export function insideApplication(href: string, applicationHref: string): string | undefined {
  if (TRICKS.test(href)) return undefined;
  let url: URL;
  let app: URL;
  try {
    url = new URL(href, applicationHref);
    app = new URL(applicationHref);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.origin !== app.origin) return undefined;
  const root = app.pathname.endsWith('/') ? app.pathname : `${app.pathname}/`;
  return url.pathname.startsWith(root) && url.pathname.length > root.length ? url.href : undefined;
}
