import type { IdentityProvider, IdentityProviderOptions } from '../../dev/idp/index.js';
import type { Meeting } from '../../dev/ucwa-sim/index.js';
import { MEETING_URI, startWorld, type World, type WorldOptions } from './gatekeeper-world.js';
import { startTestIdentityProvider } from './identity-provider.js';

export const AUDIENCE = 'api://ucwa-gatekeeper';

/** A gatekeeper that joined a watched meeting, and the identity provider its inbound tokens come from. */
export interface PushWorld {
  idp: IdentityProvider;
  world: World;
  meeting: Meeting;
  /** A relay's token with Gatekeeper.Events.Send, over any claims. */
  eventsToken(claims?: Record<string, unknown>): Promise<string>;
  /** An operator's token with Gatekeeper.Inspect. */
  inspectToken(claims?: Record<string, unknown>): Promise<string>;
  /** Removals the simulator saw. */
  removals(): { kind: string; participantUri?: string }[];
  close(): Promise<void>;
}

export interface PushWorldOptions extends WorldOptions {
  idp?: IdentityProviderOptions;
}

/** Starts the world with inbound auth configured; one watch run creates the application and joins. */
export async function startPushWorld(options: PushWorldOptions = {}): Promise<PushWorld> {
  const idp = await startTestIdentityProvider(options.idp);
  const world = await startWorld({
    ...options,
    settings: {
      WATCHED_MEETINGS: MEETING_URI,
      AZURE_TENANT_ID: idp.tenant,
      AZURE_AUTHORITY_HOST: idp.authorityHost,
      INBOUND_AUDIENCE: AUDIENCE,
      ...options.settings,
    },
  });
  const meeting = world.sim.scenario.meeting({ onlineMeetingUri: MEETING_URI, accountIsLeader: true });
  await world.watchUntil(() => world.sim.actions.some((a) => a.kind === 'joinOnlineMeeting'), 3_000);
  await meeting.whenJoined();
  return {
    idp,
    world,
    meeting,
    eventsToken: (claims = {}) =>
      idp.mintToken({
        aud: AUDIENCE,
        roles: ['Gatekeeper.Events.Send'],
        sub: 'relay',
        azp: 'relay',
        ...claims,
      }),
    inspectToken: (claims = {}) =>
      idp.mintToken({ aud: AUDIENCE, roles: ['Gatekeeper.Inspect'], sub: 'operator', ...claims }),
    removals: () => world.sim.actions.filter((a) => a.kind === 'eject' || a.kind === 'reject'),
    async close() {
      await world.close();
      await idp.close();
    },
  };
}

/**
 * An events document as a relay would push it: participant `href` `added` in the lobby of its conversation,
 * with an embedded copy the relay controls (a liar's copy: anonymous, an eject link).
 */
export function lobbyEventsDocument(href: string, embedded: Record<string, unknown> = { anonymous: true }) {
  const conversationHref = href.replace(/\/participants\/.*$/, '');
  return {
    _links: { self: { href: '/events?ack=9' }, next: { href: '/events?ack=10' } },
    sender: [
      {
        rel: 'conversation',
        href: conversationHref,
        events: [
          {
            link: { rel: 'participant', href },
            in: { rel: 'lobby', href: `${conversationHref}/lobby` },
            type: 'added',
            _embedded: {
              participant: {
                rel: 'participant',
                ...embedded,
                _links: { self: { href }, eject: { href: `${href}/eject` } },
              },
            },
          },
        ],
      },
    ],
  };
}
