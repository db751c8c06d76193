import { LinkNotOfferedError, UcwaError } from './errors.js';
import { embeddedOf, hrefOf, resolveHref } from './links.js';
import { parseAs } from './parse.js';
import type { Application, Communication, Me } from './schemas.js';
import type { UcwaTransport } from './transport.js';

/** The live application: its href is the root of every other href, until the server drops it. */
export interface ApplicationHandle {
  href: string;
  resource: Application;
  me: Me | undefined;
  communication: Communication | undefined;
  eventsHref: string;
  batchHref: string | undefined;
  /** `created`: a new application (meetings must be (re)joined); `attached`: a stored one still alive. */
  origin: 'created' | 'attached';
}

export interface ApplicationIdentity {
  userAgent: string;
  endpointId: string;
  culture?: string;
  instanceId?: string;
}

export interface Availability {
  signInAs?: string;
  supportedModalities?: string[];
  supportedMessageFormats?: string[];
}

/** POST applications (docs/ucwa-protocol.md §4.1): the new application, or the live one for this endpointId. */
export async function postApplication(
  transport: UcwaTransport,
  applicationsUrl: string,
  identity: ApplicationIdentity,
  signal?: AbortSignal,
): Promise<ApplicationHandle> {
  const { culture = 'en-us', endpointId, userAgent, instanceId } = identity;
  const response = await transport.request({
    method: 'POST',
    url: applicationsUrl,
    body: { culture, endpointId, userAgent, ...(instanceId ? { instanceId } : {}) },
    resource: 'applications',
    // The same endpointId maps to the same application, so repeating the POST is harmless.
    idempotent: true,
    signal,
  });
  const resource = parseAs('application', response.body);
  const self = hrefOf(resource, 'self');
  const href = self
    ? resolveHref(self, applicationsUrl)
    : (response.headers.get('location') ?? applicationsUrl);
  // 201: a new application (nothing joined yet); 200: the live one for this endpointId, with its meetings.
  return toHandle(
    resolveHref(href, applicationsUrl),
    resource,
    response.status === 201 ? 'created' : 'attached',
  );
}

/**
 * makeMeAvailable (docs/ucwa-protocol.md §5): without it the application is a lurker and receives no
 * invitations, and only for the modalities registered. 409 AlreadyExists means it was done already.
 */
export async function makeMeAvailable(
  transport: UcwaTransport,
  app: ApplicationHandle,
  availability: Availability,
  signal?: AbortSignal,
): Promise<void> {
  const href = hrefOf(app.me, 'makeMeAvailable');
  if (!href) return;
  const {
    signInAs = 'Online',
    // These two are all makeMeAvailable allows (others answer 403).
    supportedModalities = ['Messaging', 'PhoneAudio'],
    supportedMessageFormats = ['Plain', 'Html'],
  } = availability;
  try {
    await transport.request({
      method: 'POST',
      url: resolveHref(href, app.href),
      body: { signInAs, supportedModalities, supportedMessageFormats },
      resource: 'makeMeAvailable',
      idempotent: true,
      signal,
    });
  } catch (error) {
    if (error instanceof UcwaError && error.action === 'already-done') return;
    throw error;
  }
}

export function toHandle(
  href: string,
  resource: Application,
  origin: ApplicationHandle['origin'],
): ApplicationHandle {
  const me = embeddedOf(resource, 'me')[0];
  const communication = embeddedOf(resource, 'communication')[0];
  const events = hrefOf(resource, 'events');
  if (!events) throw new LinkNotOfferedError('events', href);
  const batch = hrefOf(resource, 'batch');
  return {
    href,
    resource,
    me: me ? parseAs('me', me) : undefined,
    communication: communication ? parseAs('communication', communication) : undefined,
    eventsHref: resolveHref(events, href),
    batchHref: batch ? resolveHref(batch, href) : undefined,
    origin,
  };
}
