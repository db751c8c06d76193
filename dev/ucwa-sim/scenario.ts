import type { QueuedEvent } from './events.js';
import { cancelInvitation, deliverIncoming, incomingMessage } from './incoming-invitations.js';
import { defineMeeting, meetingArrive, meetingDepart } from './meeting-operations.js';
import type { MeetingState, Person } from './model.js';
import { runScenarioFile } from './scenario-file.js';
import type { Timers } from './timers.js';
import type {
  IncomingInvitationOptions,
  InvitationHandle,
  KnockOptions,
  Meeting,
  MeetingOptions,
  MeetingParticipantHandle,
  MeetingParticipantInfo,
  ParticipantSeed,
  PendingEventInfo,
  Scenario,
  ScenarioRunResult,
  UndeliveredInvitation,
} from './types.js';
import { normalizeMeetingUri, type World } from './world.js';

const NOT_DELIVERED: InvitationHandle = {
  delivered: false,
  invitationHref: '',
  conversationHref: '',
  fromHref: '',
  participantHref: '',
  cancel: () => {},
  say: () => false,
};

function pendingInfo(queued: QueuedEvent): PendingEventInfo {
  return {
    senderRel: queued.sender.rel,
    senderHref: queued.sender.href,
    rel: queued.event.link.rel,
    href: queued.event.link.href,
    type: queued.event.type,
    ...(queued.event.in ? { in: queued.event.in.rel } : {}),
  };
}

/** Scripted activity of the far ends: people who write, call and knock. Hrefs are paths on the pool origin. */
export class ScenarioApi implements Scenario {
  private readonly handles = new Map<MeetingState, MeetingHandle>();

  constructor(
    private readonly world: World,
    private readonly timers: Timers,
  ) {}

  get undelivered(): UndeliveredInvitation[] {
    return this.world.undelivered;
  }

  incomingInvitation(options: IncomingInvitationOptions): InvitationHandle {
    const delivered = deliverIncoming(this.world, options);
    if (!delivered) return { ...NOT_DELIVERED };
    const { app, invitation, from } = delivered;
    const conversation = invitation.conversation;
    const paths = app.paths;
    return {
      delivered: true,
      invitationHref: paths.invitation(invitation.kind, invitation.id),
      conversationHref: paths.conversation(conversation.id),
      fromHref: invitation.details.fromAlias
        ? paths.participant(conversation.id, invitation.details.fromAlias)
        : '',
      participantHref: paths.participant(conversation.id, conversation.idOf(from)),
      cancel: () => cancelInvitation(this.world, app, invitation, false),
      say: (text) => incomingMessage(this.world, app, conversation, { from, text }),
    };
  }

  incomingIm(
    from: ParticipantSeed,
    message?: string,
    extra: Omit<IncomingInvitationOptions, 'kind' | 'from' | 'message'> = {},
  ): InvitationHandle {
    return this.incomingInvitation({
      ...extra,
      kind: 'messaging',
      from,
      ...(message !== undefined ? { message } : {}),
    });
  }

  meeting(options: MeetingOptions): Meeting {
    return this.handleFor(defineMeeting(this.world, options));
  }

  getMeeting(onlineMeetingUri: string): Meeting | undefined {
    const meeting = this.world.meetings.get(normalizeMeetingUri(onlineMeetingUri));
    return meeting ? this.handleFor(meeting) : undefined;
  }

  whenAvailable(): Promise<void> {
    return this.world.whenAvailable();
  }

  pendingEvents(): PendingEventInfo[] {
    const app = this.world.currentApplication();
    if (!app) return [];
    return app.channel.pendingEvents().map(pendingInfo);
  }

  editPendingEvents(
    edit: (event: PendingEventInfo, embedded: Record<string, unknown> | undefined) => void,
  ): number {
    const queued = this.world.currentApplication()?.channel.pendingEvents() ?? [];
    for (const entry of queued) {
      const embedded = entry.event._embedded?.[entry.event.link.rel];
      edit(
        pendingInfo(entry),
        embedded && typeof embedded === 'object' ? (embedded as Record<string, unknown>) : undefined,
      );
    }
    return queued.length;
  }

  setRemoteAnswer(answer: 'accept' | 'decline' | 'noAnswer', afterMs = 0): void {
    this.world.setRemoteAnswer(answer, afterMs);
  }

  run(json: unknown): Promise<ScenarioRunResult> {
    return runScenarioFile(this, this.timers, json);
  }

  private handleFor(meeting: MeetingState): MeetingHandle {
    let handle = this.handles.get(meeting);
    if (!handle) {
      handle = new MeetingHandle(this.world, meeting);
      this.handles.set(meeting, handle);
    }
    return handle;
  }
}

class MeetingHandle implements Meeting {
  constructor(
    private readonly world: World,
    private readonly meeting: MeetingState,
  ) {}

  get onlineMeetingUri(): string {
    return this.meeting.onlineMeetingUri;
  }

  knock(guest: ParticipantSeed, opts?: KnockOptions): MeetingParticipantHandle {
    return this.handle(meetingArrive(this.world, this.meeting, guest, { ...opts, where: 'lobby' }));
  }

  join(guest: ParticipantSeed, opts?: KnockOptions): MeetingParticipantHandle {
    return this.handle(meetingArrive(this.world, this.meeting, guest, { ...opts, where: 'roster' }));
  }

  leave(who: MeetingParticipantHandle | string | ParticipantSeed): boolean {
    const person = this.find(who);
    if (!person) return false;
    meetingDepart(this.world, this.meeting, person);
    return true;
  }

  participants(): MeetingParticipantInfo[] {
    return this.meeting.people().map((person) => ({
      key: person.key,
      facts: person.facts(),
      where: person.where === 'lobby' ? 'lobby' : 'roster',
      participantHref: this.hrefOf(person),
    }));
  }

  whenJoined(): Promise<void> {
    if (this.meeting.views.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.meeting.joinWaiters.push(resolve));
  }

  private handle(person: Person): MeetingParticipantHandle {
    const hrefOf = () => this.hrefOf(person);
    return {
      key: person.key,
      get participantHref() {
        return hrefOf();
      },
      leave: () => {
        meetingDepart(this.world, this.meeting, person);
      },
    };
  }

  /** The participant's href in the current application's conversation for this meeting ('' if not joined). */
  private hrefOf(person: Person): string {
    if (person.where === 'gone') return '';
    const current = this.world.currentApplication();
    const views = [...this.meeting.views];
    const view = views.find((candidate) => candidate.app === current) ?? views[0];
    if (!view) return '';
    return view.app.paths.participant(view.conversation.id, view.conversation.idOf(person));
  }

  private find(who: MeetingParticipantHandle | string | ParticipantSeed): Person | undefined {
    const people = this.meeting.people();
    if (typeof who === 'string') {
      return people.find(
        (person) => person.key === who || (this.hrefOf(person) !== '' && who.endsWith(this.hrefOf(person))),
      );
    }
    if ('key' in who && typeof who.key === 'string') return this.meeting.find(who.key);
    const seed = who as ParticipantSeed;
    if (typeof seed.uri === 'string') {
      const uri = seed.uri.toLowerCase();
      return people.find((person) => person.uri?.toLowerCase() === uri);
    }
    if (typeof seed.name === 'string') return people.find((person) => person.name === seed.name);
    return undefined;
  }
}
