import { randomInt, randomUUID } from 'node:crypto';
import { ActivityWatch } from './activity.js';
import { errors } from './errors.js';
import { EventChannel } from './event-channel.js';
import type { EventJson, Priority } from './events.js';
import {
  Application,
  type ApplicationIdentity,
  Conversation,
  type ConversationKind,
  type Invitation,
  type MeetingState,
  type Message,
  Person,
  threadId,
} from './model.js';
import type { ResolvedOptions } from './options.js';
import { AppPaths, applicationsBase } from './paths.js';
import type { Recorder } from './recorder.js';
import type { Json, RenderContext } from './render-context.js';
import { renderCommunication } from './resources/application-resource.js';
import { renderConversation, renderMessage, renderMessaging } from './resources/conversation-resource.js';
import { renderInvitation } from './resources/invitation-resource.js';
import { renderParticipant } from './resources/participant-resource.js';
import type { Timers } from './timers.js';
import type { ParticipantSeed, SourceNetwork, UndeliveredInvitation } from './types.js';

type Sender = 'communication' | 'me' | Conversation;

export interface EventSpec {
  rel: string;
  path: string;
  title?: string;
  type: EventJson['type'];
  in?: { rel: string; path: string };
  embedded?: Json;
  status?: string;
  reason?: { code: string; subcode?: string; message: string };
}

const MEDIUM_RELS = new Set(['communication', 'me', 'presence', 'note', 'location']);

export function normalizeMeetingUri(uri: string): string {
  return uri.replace(/\s+/g, '').toLowerCase();
}

/**
 * The simulated front end's state — applications, their conversations and invitations, the online meetings —
 * and the event emitters every state change uses. The operations live beside it: incoming-invitations.ts,
 * meeting-operations.ts, outgoing-messaging.ts. HTTP handlers and the scenario API both drive them.
 */
export class World {
  readonly applications = new Map<string, Application>();
  private readonly gone = new Map<string, '404' | '410'>();
  readonly meetings = new Map<string, MeetingState>();
  readonly undelivered: UndeliveredInvitation[] = [];
  /** GUID-named communication property a PUT must echo; fixed per simulator instance. */
  readonly putMarker = randomUUID();
  private readonly availableWaiters: (() => void)[] = [];
  /** How the far end answers outgoing invitations (scenario.setRemoteAnswer). */
  remoteAnswer: { answer: 'accept' | 'decline' | 'noAnswer'; afterMs: number } = {
    answer: 'accept',
    afterMs: 0,
  };
  private adHocCounter = 0;
  /** Available applications that stop reporting activity expire. */
  readonly activity = new ActivityWatch(this);

  constructor(
    readonly opts: ResolvedOptions,
    readonly timers: Timers,
    readonly recorder: Recorder,
    readonly poolOrigin: string,
    /** Application ids, shared by every user's world of one server: an id names one application. */
    private readonly applicationIds: { next: number } = { next: 100 + randomInt(900) },
  ) {}

  // ---------------------------------------------------------------- rendering

  render(app: Application): RenderContext {
    const absolute = (path: string): string => (/^[a-z]+:/i.test(path) ? path : `${this.poolOrigin}${path}`);
    return {
      app,
      opts: this.opts,
      putMarker: this.putMarker,
      href: (path) => (this.opts.hrefStyle === 'absolute' ? absolute(path) : path),
      eventHref: (path) => (this.opts.hrefStyle === 'relative' ? path : absolute(path)),
    };
  }

  /** Hrefs of the events response itself (`self`, `next`, ...): relative unless hrefStyle is 'absolute'. */
  responseHref(path: string): string {
    return this.opts.hrefStyle === 'absolute' ? `${this.poolOrigin}${path}` : path;
  }

  // ---------------------------------------------------------------- applications

  lookupApplication(id: string): Application | '404' | '410' {
    return this.applications.get(id) ?? this.gone.get(id) ?? '404';
  }

  /** The most recently created application that is still alive. */
  currentApplication(): Application | undefined {
    let last: Application | undefined;
    for (const app of this.applications.values()) last = app;
    return last;
  }

  /** Same endpointId + instanceId as a live application → that one (200); otherwise a new one (201). */
  createApplication(identity: ApplicationIdentity): { app: Application; created: boolean } {
    for (const app of this.applications.values()) {
      if (
        app.identity.endpointId === identity.endpointId &&
        app.identity.instanceId === identity.instanceId
      ) {
        return { app, created: false };
      }
    }
    this.applicationIds.next += 1 + randomInt(37);
    const id = String(this.applicationIds.next);
    const paths = new AppPaths(this.opts.pathFamily, `${applicationsBase(this.opts.pathFamily)}/${id}`);
    let app: Application | undefined;
    const channel = new EventChannel({
      timers: this.timers,
      minTimeoutSec: this.opts.minTimeoutSec,
      defaultTimeoutSec: this.opts.defaultTimeoutSec,
      resumeAfterMs: this.opts.resumeAfterMs,
      idleTimeoutMs: this.opts.applicationIdleTimeoutMs,
      eventsHref: (ack) => this.responseHref(paths.events(ack)),
      selfHref: (target) => this.responseHref(target),
      onIdle: () => {
        if (app) this.removeApplication(app, '404');
      },
      onResume: () => {
        if (app) this.resetTransientState(app);
      },
      onParked: () => this.recorder.parked(),
    });
    app = new Application(id, paths, identity, channel);
    this.applications.set(id, app);
    this.recorder.action({ kind: 'createApplication', href: paths.self, applicationId: id, body: identity });
    return { app, created: true };
  }

  /** The application is gone for good: later calls answer 404 ApplicationNotFound or 410 InactiveApplicationExpired. */
  removeApplication(app: Application, how: '404' | '410'): void {
    if (!this.applications.has(app.id)) return;
    this.applications.delete(app.id);
    this.gone.set(app.id, how);
    this.activity.stop(app);
    for (const conversation of app.conversations.values()) this.detachFromMeeting(app, conversation);
    app.conversations.clear();
    app.channel.close(how === '410' ? errors.applicationExpired() : errors.applicationNotFound());
  }

  deleteApplication(app: Application): void {
    this.recorder.action({ kind: 'deleteApplication', href: app.paths.self, applicationId: app.id });
    this.removeApplication(app, '404');
  }

  /** What `resume` means (docs/ucwa-protocol.md §6.2; the details are inference): conversations closed, availability lost. */
  private resetTransientState(app: Application): void {
    for (const conversation of app.conversations.values()) this.detachFromMeeting(app, conversation);
    app.conversations.clear();
    app.invitations.clear();
    app.available = false;
    this.activity.stop(app);
    app.supportedModalities = [];
    app.supportedMessageFormats = ['Plain'];
  }

  closeAll(): void {
    for (const app of this.applications.values()) app.channel.close();
    for (const resolve of this.availableWaiters.splice(0)) resolve();
    for (const meeting of this.meetings.values())
      for (const resolve of meeting.joinWaiters.splice(0)) resolve();
  }

  // ---------------------------------------------------------------- events

  emit(app: Application, sender: Sender, spec: EventSpec): void {
    const r = this.render(app);
    const senderRel = sender instanceof Conversation ? 'conversation' : sender;
    const senderPath =
      sender instanceof Conversation
        ? app.paths.conversation(sender.id)
        : sender === 'me'
          ? app.paths.me
          : app.paths.communication;
    const event: EventJson = { link: { rel: spec.rel, href: r.eventHref(spec.path) }, type: spec.type };
    if (spec.title) event.link.title = spec.title;
    if (spec.in) event.in = { rel: spec.in.rel, href: r.eventHref(spec.in.path) };
    if (spec.embedded) event._embedded = { [spec.rel]: spec.embedded };
    if (spec.status) event.status = spec.status;
    if (spec.reason) event.reason = spec.reason;
    const priority: Priority = MEDIUM_RELS.has(spec.rel) ? 'Medium' : 'High';
    app.channel.push({
      sender: { rel: senderRel, href: r.eventHref(senderPath) },
      event,
      priority,
      at: this.timers.now(),
    });
  }

  emitConversationEvent(
    app: Application,
    conversation: Conversation,
    type: 'added' | 'updated' | 'deleted',
  ): void {
    const r = this.render(app);
    this.emit(app, 'communication', {
      rel: 'conversation',
      path: app.paths.conversation(conversation.id),
      type,
      ...(type === 'deleted' ? {} : { embedded: renderConversation(r, conversation) }),
    });
  }

  emitInvitationEvent(
    app: Application,
    invitation: Invitation,
    type: 'started' | 'updated' | 'completed',
    extra: {
      status?: string;
      reason?: EventSpec['reason'];
      embed?: boolean;
      withoutActions?: boolean;
      fromPatch?: Record<string, unknown>;
    } = {},
  ): void {
    const r = this.render(app);
    const spec: EventSpec = {
      rel: invitation.rel,
      path: app.paths.invitation(invitation.kind, invitation.id),
      type,
    };
    const linkOnly = invitation.direction === 'Outgoing' && this.opts.outgoingInvitationEvents === 'link';
    if (extra.embed !== false && !linkOnly) {
      const embedded = renderInvitation(r, invitation, { withoutActions: extra.withoutActions ?? false });
      const inner = embedded._embedded as Record<string, Json> | undefined;
      if (extra.fromPatch && inner?.from) inner.from = patched(inner.from, extra.fromPatch);
      spec.embedded = embedded;
    }
    if (extra.status) spec.status = extra.status;
    if (extra.reason) spec.reason = extra.reason;
    this.emit(app, 'communication', spec);
  }

  emitParticipant(
    app: Application,
    conversation: Conversation,
    person: Person,
    {
      type,
      inLobby = false,
      embed = false,
    }: { type: 'added' | 'updated' | 'deleted'; inLobby?: boolean; embed?: boolean },
  ): void {
    const r = this.render(app);
    const spec: EventSpec = {
      rel: 'participant',
      path: app.paths.participant(conversation.id, conversation.idOf(person)),
      type,
    };
    if (person.name) spec.title = person.name;
    if (inLobby) spec.in = { rel: 'lobby', path: app.paths.lobby(conversation.id) };
    if (embed && type !== 'deleted') {
      spec.embedded = patched(renderParticipant(r, conversation, person), person.embeddedPatch);
    }
    this.emit(app, conversation, spec);
  }

  /**
   * Someone joined a meeting's roster: participant `added`, and `added` `in` attendees or leaders by role
   * (attendees_ref.md, leaders_ref.md), embedding the participant there when the scenario asks.
   */
  emitRosterJoin(app: Application, conversation: Conversation, person: Person): void {
    this.emitParticipant(app, conversation, person, { type: 'added' });
    if (!this.opts.rosterEvents) return;
    const r = this.render(app);
    const collection = person.facts().role === 'Leader' ? 'leaders' : 'attendees';
    const spec: EventSpec = {
      rel: 'participant',
      path: app.paths.participant(conversation.id, conversation.idOf(person)),
      type: 'added',
      in: { rel: collection, path: app.paths[collection](conversation.id) },
    };
    if (person.name) spec.title = person.name;
    if (person.embedParticipant) spec.embedded = renderParticipant(r, conversation, person);
    this.emit(app, conversation, spec);
  }

  emitLocalParticipant(app: Application, conversation: Conversation, type: 'added' | 'deleted'): void {
    const spec: EventSpec = {
      rel: 'localParticipant',
      path: app.paths.participant(conversation.id, conversation.idOf(conversation.local)),
      type,
    };
    if (conversation.local.name) spec.title = conversation.local.name;
    this.emit(app, conversation, spec);
  }

  emitMessaging(app: Application, conversation: Conversation): void {
    this.emit(app, conversation, {
      rel: 'messaging',
      path: app.paths.messaging(conversation.id),
      type: 'updated',
      embedded: renderMessaging(this.render(app), conversation),
    });
  }

  emitParticipantMessaging(app: Application, conversation: Conversation, person: Person): void {
    conversation.messagingPeople.add(person);
    const id = conversation.idOf(person);
    this.emit(app, conversation, {
      rel: 'participantMessaging',
      path: app.paths.participantMessaging(conversation.id, id),
      type: 'added',
      in: {
        rel: person.local ? 'localParticipant' : 'participant',
        path: app.paths.participant(conversation.id, id),
      },
    });
  }

  emitMessage(app: Application, conversation: Conversation, message: Message, embed: boolean): void {
    this.emit(app, conversation, {
      rel: 'message',
      path: app.paths.message(conversation.id, message.id),
      type: 'completed',
      status: message.status === 'Failed' ? 'Failure' : 'Success',
      ...(embed ? { embedded: renderMessage(this.render(app), conversation, message) } : {}),
    });
  }

  // ---------------------------------------------------------------- availability

  makeMeAvailable(
    app: Application,
    settings: { modalities: string[]; formats: string[]; signInAs: string; audioPreference?: string },
  ): void {
    app.available = true;
    this.activity.touch(app);
    app.supportedModalities = settings.modalities;
    app.supportedMessageFormats = settings.formats;
    app.signInAs = settings.signInAs;
    if (settings.audioPreference) app.audioPreference = settings.audioPreference;
    const paths = app.paths;
    // The captured traffic embeds communication here (EventChannelDetails.md, ReceiveAnIM.md).
    this.emit(app, 'communication', {
      rel: 'communication',
      path: paths.communication,
      type: 'updated',
      ...(this.opts.traffic === 'captured' ? { embedded: renderCommunication(this.render(app), app) } : {}),
    });
    this.emit(app, 'me', { rel: 'me', path: paths.me, type: 'updated' });
    this.emit(app, 'me', { rel: 'presence', path: paths.presence, type: 'added' });
    this.emit(app, 'me', { rel: 'note', path: paths.note, type: 'added' });
    this.emit(app, 'me', { rel: 'location', path: paths.location, type: 'added' });
    this.recorder.action({
      kind: 'makeMeAvailable',
      href: paths.makeMeAvailable,
      applicationId: app.id,
      body: settings,
    });
    if (app === this.currentApplication()) for (const resolve of this.availableWaiters.splice(0)) resolve();
  }

  whenAvailable(): Promise<void> {
    if (this.currentApplication()?.available) return Promise.resolve();
    return new Promise((resolve) => this.availableWaiters.push(resolve));
  }

  // ---------------------------------------------------------------- conversations

  localPerson(meeting?: MeetingState): Person {
    const account = this.opts.account;
    const organizer = meeting?.organizer?.uri?.toLowerCase() === account.uri.toLowerCase();
    const leader = meeting ? meeting.accountIsLeader || organizer : false;
    return new Person(
      'account',
      { name: account.name, uri: account.uri },
      {
        anonymous: false,
        organizer,
        role: leader ? 'Leader' : 'Attendee',
        sourceNetwork: 'SameEnterprise',
      },
      true,
    );
  }

  newConversation(
    app: Application,
    kind: ConversationKind,
    details: { subject: string; importance: string; threadId?: string },
    meeting?: MeetingState,
  ): Conversation {
    const style = this.opts.participantIds;
    const allocate = (person: Person): string => {
      if (style === 'numeric') return app.nextId();
      const uri = person.uri?.replace(/^sip:/i, '').split(';')[0];
      return uri ? uri.toLowerCase() : `anonymous-${app.nextId()}`;
    };
    const conversation = new Conversation(
      {
        id: app.nextId(),
        kind,
        local: this.localPerson(meeting),
        subject: details.subject,
        importance: details.importance,
        threadId: details.threadId ?? threadId(),
        meeting,
      },
      allocate,
    );
    app.conversations.set(conversation.id, conversation);
    return conversation;
  }

  /** The sourceNetwork a real server would report for a SIP URI, judged by its domain (inference). */
  sourceNetworkOf(uri: string): SourceNetwork {
    const domain = uri.replace(/^sip:/i, '').split('@')[1]?.split(';')[0]?.toLowerCase();
    return domain === this.opts.domain.toLowerCase() ? 'SameEnterprise' : 'Federated';
  }

  /** Default sourceNetwork when a scenario leaves it out: PublicCloud for anonymous guests, else by domain. */
  defaultNetwork(seed: ParticipantSeed): SourceNetwork {
    if (seed.anonymous) return 'PublicCloud';
    return typeof seed.uri === 'string' && seed.uri ? this.sourceNetworkOf(seed.uri) : 'Unknown';
  }

  endConversation(app: Application, conversation: Conversation): void {
    if (!app.conversations.has(conversation.id)) return;
    this.detachFromMeeting(app, conversation);
    app.conversations.delete(conversation.id);
    this.emitConversationEvent(app, conversation, 'deleted');
  }

  detachFromMeeting(app: Application, conversation: Conversation): void {
    const meeting = conversation.meeting;
    if (!meeting) return;
    for (const view of meeting.views) {
      if (view.app === app && view.conversation === conversation) meeting.views.delete(view);
    }
  }

  /** DELETE conversation: the account leaves; other participants carry on. */
  leaveConversation(app: Application, conversation: Conversation): void {
    this.recorder.action({
      kind: 'leaveConversation',
      href: app.paths.conversation(conversation.id),
      applicationId: app.id,
      ...(conversation.meeting ? { meetingUri: conversation.meeting.onlineMeetingUri } : {}),
    });
    this.emitLocalParticipant(app, conversation, 'deleted');
    this.endConversation(app, conversation);
  }

  adHocMeetingUri(organizerUri: string): string {
    this.adHocCounter += 1;
    const id = `ADHOC${String(this.adHocCounter).padStart(3, '0')}${randomInt(1000, 9999)}`;
    return `${organizerUri};gruu;opaque=app:conf:focus:id:${id}`;
  }

  setRemoteAnswer(answer: 'accept' | 'decline' | 'noAnswer', afterMs = 0): void {
    this.remoteAnswer = { answer, afterMs };
  }
}

/** An embedded copy with odd values (scenario `embeddedPatch`): merged over it, `null` deletes a property. */
function patched(resource: Json, patch: Record<string, unknown> | undefined): Json {
  if (!patch) return resource;
  const out: Json = { ...resource };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}
