import { z } from 'zod';
import { UcwaSchemaError } from './errors.js';
import {
  applicationSchema,
  communicationSchema,
  conversationSchema,
  discoverySchema,
  type EventsDocument,
  eventSchema,
  eventSenderSchema,
  eventsSchema,
  genericResourceSchema,
  INVITATION_RELS,
  invitationSchema,
  meSchema,
  messageSchema,
  messagingSchema,
  onlineMeetingSchema,
  participantCollectionSchema,
  participantSchema,
  type UcwaResource,
} from './schemas.js';

/** Which schema reads which rel. Aliases follow the reference pages' names for the same resource shape. */
const schemas = {
  root: discoverySchema,
  user: discoverySchema,
  redirect: discoverySchema,
  application: applicationSchema,
  applications: applicationSchema,
  me: meSchema,
  communication: communicationSchema,
  events: eventsSchema,
  ...(Object.fromEntries(INVITATION_RELS.map((rel) => [rel, invitationSchema])) as Record<
    (typeof INVITATION_RELS)[number],
    typeof invitationSchema
  >),
  invitation: invitationSchema,
  participant: participantSchema,
  from: participantSchema,
  localParticipant: participantSchema,
  acceptedByParticipant: participantSchema,
  lobby: participantCollectionSchema,
  leaders: participantCollectionSchema,
  attendees: participantCollectionSchema,
  participants: participantCollectionSchema,
  conversation: conversationSchema,
  conversations: genericResourceSchema,
  onlineMeeting: onlineMeetingSchema,
  messaging: messagingSchema,
  message: messageSchema,
} as const;

type Schemas = typeof schemas;
export type KnownRel = keyof Schemas;
export type ResourceOf<K extends KnownRel> = z.output<Schemas[K]>;

/**
 * What `parseUcwaResource` returns for `rel`. Event samples are filed under the resource they concern, so an
 * events document (a P-GET response) is accepted under any rel and recognised by its shape.
 */
export type ParsedUcwa<K extends string> = K extends 'events'
  ? EventsDocument
  : K extends KnownRel
    ? ResourceOf<K> | EventsDocument
    : UcwaResource | EventsDocument;

function isKnownRel(rel: string): rel is KnownRel {
  return Object.hasOwn(schemas, rel);
}

function looksLikeEvents(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || 'rel' in body) return false;
  const record = body as { sender?: unknown; _links?: Record<string, unknown> };
  return (
    Array.isArray(record.sender) || ['next', 'resume', 'resync'].some((rel) => rel in (record._links ?? {}))
  );
}

interface Failure {
  path: PropertyKey[];
  message: string;
}

/** The most specific failure: one-or-many unions report at the union, so follow the branch that got furthest. */
function deepest(issue: z.core.$ZodIssue): Failure {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branches = issue.errors.flatMap((branch) => branch.map(deepest));
    const best = branches.reduce((a, b) => (b.path.length > a.path.length ? b : a));
    return { path: [...issue.path, ...best.path], message: best.message };
  }
  return { path: issue.path, message: issue.message };
}

function run<S extends z.ZodType>(schema: S, rel: string, body: unknown, at: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const failure = first ? deepest(first) : { path: [], message: 'invalid' };
  const path = [at, ...failure.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part)))]
    .filter(Boolean)
    .join('.')
    .replace(/\.\[/g, '[');
  throw new UcwaSchemaError(rel, path, failure.message);
}

/** Validate the resources embedded in events with the schema of their rel. */
function checkEmbedded(document: EventsDocument): void {
  document.sender.forEach((sender, s) => {
    sender.events.forEach((event, e) => {
      for (const [rel, value] of Object.entries(event._embedded ?? {})) {
        if (isKnownRel(rel) && rel !== 'events') {
          run(schemas[rel], rel, value, `sender[${s}].events[${e}]._embedded.${rel}`);
        }
      }
    });
  });
}

/**
 * Parse a UCWA body as the resource `rel`. Returns the typed resource, or throws a `UcwaSchemaError` naming
 * the path that failed. Unknown rels get the generic resource shape (`rel`, `_links`, `_embedded`).
 */
export function parseUcwaResource<K extends string>(rel: K, body: unknown): ParsedUcwa<K> {
  if (rel === 'events' || looksLikeEvents(body)) {
    const document = run(eventsSchema, rel, body, '');
    checkEmbedded(document);
    return document as ParsedUcwa<K>;
  }
  const schema = isKnownRel(rel) ? schemas[rel] : genericResourceSchema;
  return run(schema, rel, body, '') as ParsedUcwa<K>;
}

/** The client's own strictly typed reader: the caller knows what the href serves. */
export function parseAs<K extends Exclude<KnownRel, 'events'>>(rel: K, body: unknown): ResourceOf<K> {
  return run(schemas[rel], rel, body, '') as ResourceOf<K>;
}

/** The value, or undefined when it does not parse: an odd embedded copy is read again from its link. */
export function orUndefined<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UcwaSchemaError) return undefined;
    throw error;
  }
}

/** A P-GET body's frame: links and sender groups, their events not yet read. */
const eventsFrameSchema = eventsSchema.extend({
  sender: z.array(z.looseObject({ rel: z.unknown(), href: z.unknown(), events: z.unknown() })).default([]),
});

/**
 * Read a P-GET body for the event channel. Only the frame (links, sender groups) must parse; each event is
 * read on its own, so one odd event is one unreadable event, and embedded resources are left for the
 * gatekeeper to parse for the events it acts on. Unreadable events come back beside the document.
 */
export function readEvents(body: unknown): { document: EventsDocument; unreadable: UcwaSchemaError[] } {
  const frame = run(eventsFrameSchema, 'events', body, '');
  const unreadable: UcwaSchemaError[] = [];
  const sender: EventsDocument['sender'] = [];
  frame.sender.forEach((group, s) => {
    const events = Array.isArray(group.events)
      ? group.events
      : group.events === undefined
        ? []
        : [group.events];
    const read = events.flatMap((event, e) => {
      try {
        return [run(eventSchema, 'events', event, `sender[${s}].events[${e}]`)];
      } catch (error) {
        if (error instanceof UcwaSchemaError) unreadable.push(error);
        else throw error;
        return [];
      }
    });
    try {
      sender.push({
        ...run(eventSenderSchema, 'events', { ...group, events: [] }, `sender[${s}]`),
        events: read,
      });
    } catch (error) {
      if (!(error instanceof UcwaSchemaError)) throw error;
      // A sender group without rel or href: none of its events can be attributed.
      for (let e = 0; e < read.length; e++) unreadable.push(error);
    }
  });
  return { document: { ...frame, sender }, unreadable };
}

/** `readEvents`, refusing the whole body if any event is unreadable (a relay's push must be well formed). */
export function parseEvents(body: unknown): EventsDocument {
  const { document, unreadable } = readEvents(body);
  if (unreadable[0]) throw unreadable[0];
  return document;
}
