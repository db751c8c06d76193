import { z } from 'zod';
import { parseUcwaDate } from './data-uri.js';

/**
 * zod schemas for the UCWA resources the gatekeeper reads, from the reference pages (docs/ucwa-protocol.md §7–§10).
 * Response properties are undocumented as to required-ness, so every property is optional; unknown
 * properties, link rels and enum members pass through (the docs say new ones may appear at any time).
 */

/** An enum the docs list, kept open: a new member must not break parsing. */
function openEnum<const T extends readonly string[]>(_members: T) {
  return z.string() as unknown as z.ZodType<T[number] | (string & {})>;
}

export const ROLES = ['Attendee', 'Leader', 'Unknown'] as const;
export const SOURCE_NETWORKS = ['SameEnterprise', 'Federated', 'PublicCloud', 'Everyone', 'Unknown'] as const;
export const INVITATION_STATES = [
  'Connecting',
  'Alerting',
  'Connected',
  'Declined',
  'Cancelled',
  'Failed',
  'Forwarded',
  'TeamRing',
] as const;
export const CONVERSATION_STATES = [
  'Incoming',
  'Connecting',
  'Connected',
  'Conferencing',
  'Conferenced',
  'InLobby',
  'Disconnecting',
  'Disconnected',
] as const;
export const IMPORTANCES = ['Normal', 'Urgent', 'Emergency'] as const;
export const DIRECTIONS = ['Incoming', 'Outgoing'] as const;
export const EVENT_TYPES = ['added', 'updated', 'deleted', 'started', 'completed'] as const;
export const ACCESS_LEVELS = ['Everyone', 'Invited', 'Locked', 'SameEnterprise', 'None'] as const;

export type Role = (typeof ROLES)[number] | (string & {});
export type SourceNetwork = (typeof SOURCE_NETWORKS)[number] | (string & {});

export const linkSchema = z.looseObject({
  href: z.string(),
  title: z.string().optional(),
  revision: z.union([z.string(), z.number()]).optional(),
});
export type UcwaLink = z.output<typeof linkSchema>;

const linksSchema = z.record(z.string(), z.union([linkSchema, z.array(linkSchema)]));

/** `/Date(ms)/` or ISO 8601, as a Date. */
const ucwaDate = z.string().transform((value, ctx) => {
  const date = parseUcwaDate(value);
  if (!date) {
    ctx.addIssue({ code: 'custom', message: `not a UCWA date: ${JSON.stringify(value).slice(0, 40)}` });
    return z.NEVER;
  }
  return date;
});

/**
 * A descriptive property (a name, a subject, a date, a count) that no decision rests on: an odd value (null,
 * another type, an unreadable date) reads as absent instead of failing the resource, so one sender's odd
 * display name never stops the gatekeeper from acting on the properties that matter.
 */
function soft<S extends z.ZodType>(schema: S) {
  return schema.optional().catch(undefined);
}

function oneOrMany<S extends z.ZodType>(schema: S) {
  return z.union([schema, z.array(schema)]);
}

/** A resource: `rel`, properties, `_links` and `_embedded`, each embedded rel validated when known. */
function resource<P extends z.ZodRawShape, E extends Record<string, z.ZodType>>(props: P, embedded?: E) {
  const embeddedShape = Object.fromEntries(
    Object.entries(embedded ?? {}).map(([rel, schema]) => [rel, oneOrMany(schema).optional()]),
  ) as { [K in keyof E]: z.ZodOptional<z.ZodUnion<[E[K], z.ZodArray<E[K]>]>> };
  return z.looseObject({
    rel: z.string().optional(),
    ...props,
    _links: linksSchema.optional(),
    _embedded: z.looseObject(embeddedShape).optional(),
  });
}

/** Any resource, for rels this client does not model. */
export const genericResourceSchema = resource({});
export type UcwaResource = z.output<typeof genericResourceSchema>;

/** root, user and redirect: only links matter (`user`, `applications`, `redirect`, `xframe`). */
export const discoverySchema = resource({});

/** The participant as seen in a roster, a lobby or as an invitation's `from` (docs/ucwa-protocol.md §8). */
export const participantSchema = resource({
  anonymous: z.boolean().optional(),
  inLobby: z.boolean().optional(),
  local: z.boolean().optional(),
  name: soft(z.string()),
  organizer: z.boolean().optional(),
  role: openEnum(ROLES).optional(),
  sourceNetwork: openEnum(SOURCE_NETWORKS).optional(),
  uri: z.string().optional(),
  workPhoneNumber: soft(z.string()),
  otherPhoneNumber: soft(z.string()),
});
export type Participant = z.output<typeof participantSchema>;

export const meSchema = resource({
  name: soft(z.string()),
  uri: z.string().optional(),
  title: soft(z.string()),
  department: soft(z.string()),
  company: soft(z.string()),
  emailAddresses: soft(z.array(z.string())),
  endpointUri: soft(z.string()),
  officeLocation: soft(z.string()),
  workPhoneNumber: soft(z.string()),
  mobilePhoneNumber: soft(z.string()),
  homePhoneNumber: soft(z.string()),
  otherPhoneNumber: soft(z.string()),
});
export type Me = z.output<typeof meSchema>;

export const communicationSchema = resource({
  supportedModalities: z.array(z.string()).optional(),
  supportedMessageFormats: z.array(z.string()).optional(),
  audioPreference: z.string().optional(),
  conversationHistory: z.string().optional(),
  phoneNumber: z.string().optional(),
  publishEndpointLocation: z.boolean().optional(),
});
export type Communication = z.output<typeof communicationSchema>;

export const applicationSchema = resource(
  {
    type: z.string().optional(),
    culture: z.string().optional(),
    endpointId: z.string().optional(),
    id: z.string().optional(),
    instanceId: z.string().optional(),
    userAgent: z.string().optional(),
  },
  { me: meSchema, communication: communicationSchema },
);
export type Application = z.output<typeof applicationSchema>;

const invitationProps = {
  direction: openEnum(DIRECTIONS).optional(),
  state: soft(openEnum(INVITATION_STATES)),
  importance: soft(openEnum(IMPORTANCES)),
  subject: soft(z.string()),
  threadId: soft(z.string()),
  operationId: z.string().optional(),
  to: soft(z.string()),
};

/** Every invitation kind shares this shape; onlineMeetingInvitation adds meeting facts (docs/ucwa-protocol.md §7.1). */
export const invitationSchema = resource(
  {
    ...invitationProps,
    onlineMeetingUri: soft(z.string()),
    availableModalities: soft(z.array(z.string())),
    anonymousDisplayName: soft(z.string()),
    phoneNumber: soft(z.string()),
  },
  { from: participantSchema, acceptedByParticipant: participantSchema },
);
export type Invitation = z.output<typeof invitationSchema>;

export const INVITATION_RELS = [
  'messagingInvitation',
  'audioVideoInvitation',
  'onlineMeetingInvitation',
  'participantInvitation',
  'phoneAudioInvitation',
] as const;
export type InvitationRel = (typeof INVITATION_RELS)[number];

/** lobby, leaders, attendees, participants: participants embedded, or linked (docs/ucwa-protocol.md §10.2). */
export const participantCollectionSchema = resource({}, { participant: participantSchema });
export type ParticipantCollection = z.output<typeof participantCollectionSchema>;

export const conversationSchema = resource({
  state: soft(openEnum(CONVERSATION_STATES)),
  threadId: soft(z.string()),
  subject: soft(z.string()),
  importance: soft(openEnum(IMPORTANCES)),
  activeModalities: soft(z.array(z.string())),
  participantCount: soft(z.number()),
  created: soft(ucwaDate),
  expirationTime: soft(ucwaDate),
  readLocally: soft(z.boolean()),
  recording: soft(z.boolean()),
  audienceMessaging: soft(z.string()),
  audienceMute: soft(z.string()),
});
export type Conversation = z.output<typeof conversationSchema>;

export const onlineMeetingSchema = resource({
  accessLevel: soft(openEnum(ACCESS_LEVELS)),
  attendees: soft(z.array(z.string())),
  leaders: soft(z.array(z.string())),
  automaticLeaderAssignment: soft(z.string()),
  conferenceId: soft(z.string()),
  description: soft(z.string()),
  entryExitAnnouncement: soft(z.string()),
  expirationTime: soft(ucwaDate),
  joinUrl: soft(z.string()),
  lobbyBypassForPhoneUsers: soft(z.string()),
  onlineMeetingId: soft(z.string()),
  onlineMeetingUri: z.string().optional(),
  organizerName: soft(z.string()),
  organizerUri: soft(z.string()),
  phoneUserAdmission: soft(z.string()),
  subject: soft(z.string()),
});
export type OnlineMeeting = z.output<typeof onlineMeetingSchema>;

export const messagingSchema = resource({
  state: z.string().optional(),
  negotiatedMessageFormats: z.array(z.string()).optional(),
});
export type Messaging = z.output<typeof messagingSchema>;

export const messageSchema = resource({
  direction: openEnum(DIRECTIONS).optional(),
  status: soft(z.string()),
  timeStamp: soft(ucwaDate),
  operationId: z.string().optional(),
});
export type Message = z.output<typeof messageSchema>;

export const errorBodySchema = z.looseObject({
  code: z.string(),
  subcode: z.string().optional(),
  message: z.string().optional(),
});

const eventTargetSchema = z.looseObject({ rel: z.string(), href: z.string(), title: z.string().optional() });

export const eventSchema = z.looseObject({
  link: eventTargetSchema,
  in: eventTargetSchema.optional(),
  type: openEnum(EVENT_TYPES),
  status: z.string().optional(),
  reason: errorBodySchema.optional(),
  _embedded: z.record(z.string(), z.unknown()).optional(),
});
export type UcwaEvent = z.output<typeof eventSchema>;

export const eventSenderSchema = z.looseObject({
  rel: z.string(),
  href: z.string(),
  events: z.array(eventSchema).default([]),
});
export type EventSender = z.output<typeof eventSenderSchema>;

/** A P-GET response: `_links` with `next`, `resume` or `resync`, and ordered `sender` groups (docs/ucwa-protocol.md §6.2). */
export const eventsSchema = z.looseObject({
  rel: z.string().optional(),
  _links: linksSchema,
  sender: z.array(eventSenderSchema).default([]),
});
export type EventsDocument = z.output<typeof eventsSchema>;
