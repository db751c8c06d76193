import { randomBytes, randomInt } from 'node:crypto';
import type { EventChannel } from './event-channel.js';
import type { AppPaths } from './paths.js';
import type {
  InvitationKind,
  LobbyOperation,
  ParticipantFacts,
  ParticipantSeed,
  Role,
  SourceNetwork,
} from './types.js';

/** Property order of the reference participant sample. */
const FACT_KEYS: readonly (keyof ParticipantFacts)[] = [
  'anonymous',
  'inLobby',
  'local',
  'name',
  'organizer',
  'otherPhoneNumber',
  'role',
  'sourceNetwork',
  'uri',
  'workPhoneNumber',
];

export function threadId(): string {
  return randomBytes(16).toString('hex');
}

/** A human (or the service account) as seen by conversations; shared by every conversation view of a meeting. */
export class Person {
  where: 'lobby' | 'roster' | 'gone' = 'roster';
  offer: ReadonlySet<LobbyOperation> | undefined;
  embedParticipant = false;
  /** Merged into this person's embedded copy in events only (KnockOptions.embeddedPatch). */
  embeddedPatch: Record<string, unknown> | undefined;
  /** Set for people of an online meeting, whose `inLobby` follows `where`. */
  meetingMember = false;

  constructor(
    readonly key: string,
    readonly seed: ParticipantSeed,
    private readonly defaults: Partial<ParticipantFacts>,
    readonly local = false,
  ) {}

  /** The participant properties as served: seed, else default; `null` in the seed leaves a property out. */
  facts(): Partial<ParticipantFacts> {
    const state: Partial<ParticipantFacts> = { local: this.local };
    if (this.where === 'lobby' || this.where === 'roster') state.inLobby = this.where === 'lobby';
    const out: Partial<Record<keyof ParticipantFacts, unknown>> = {};
    for (const key of FACT_KEYS) {
      const seeded = this.seed[key];
      if (seeded === null) continue;
      // In a meeting the lobby state is the truth; outside one the seed may say what it likes.
      const value =
        key === 'inLobby' && this.meetingMember
          ? state.inLobby
          : (seeded ?? state[key] ?? this.defaults[key]);
      if (value !== undefined) out[key] = value;
    }
    return out as Partial<ParticipantFacts>;
  }

  get uri(): string | undefined {
    const uri = this.facts().uri;
    return typeof uri === 'string' && uri !== '' ? uri : undefined;
  }

  get name(): string {
    const name = this.facts().name;
    return typeof name === 'string' ? name : '';
  }

  get isOrganizer(): boolean {
    return this.facts().organizer === true;
  }
}

export function remoteDefaults(
  role: Role = 'Attendee',
  sourceNetwork: SourceNetwork = 'Unknown',
): Partial<ParticipantFacts> {
  return { anonymous: false, local: false, name: '', organizer: false, role, sourceNetwork };
}

export interface Message {
  id: string;
  direction: 'Incoming' | 'Outgoing';
  status: 'Pending' | 'Succeeded' | 'Failed';
  timeStamp: number;
  operationId?: string;
  text: string;
  contentType: 'text/plain' | 'text/html';
  from: Person;
}

export type ConversationKind = 'im' | 'audioVideo' | 'phoneAudio' | 'meeting';
export type ModalityState = 'Disconnected' | 'Connecting' | 'Connected';

/** One conversation of one application: who is in it (by conversation-local id) and its modalities. */
export class Conversation {
  state = 'Connecting';
  readonly created = Date.now();
  activeModalities: string[] = [];
  messagingState: ModalityState = 'Disconnected';
  negotiatedFormats: string[] = ['Plain'];
  mediaState: ModalityState = 'Disconnected';
  readonly messages = new Map<string, Message>();
  readonly messagesByOperation = new Map<string, string>();
  /** Remote people of a peer-to-peer conversation (meetings read theirs from the meeting). */
  readonly peers: Person[] = [];
  private readonly idByPerson = new Map<Person, string>();
  private readonly personById = new Map<string, Person>();
  /** Ids of `from` resources (invitation senders) and the participant each stands for. */
  readonly fromAliases = new Map<string, Person>();
  private readonly usedIds = new Set<string>();
  /** People whose participantMessaging exists (they use IM in this conversation). */
  readonly messagingPeople = new Set<Person>();

  readonly id: string;
  readonly kind: ConversationKind;
  readonly local: Person;
  readonly subject: string;
  readonly importance: string;
  readonly threadId: string;
  readonly meeting: MeetingState | undefined;

  constructor(
    init: {
      id: string;
      kind: ConversationKind;
      local: Person;
      subject: string;
      importance: string;
      threadId: string;
      meeting: MeetingState | undefined;
    },
    /** A new conversation-local id for a person (numeric, or from the SIP URI: the server's style). */
    private readonly allocateId: (person: Person) => string,
  ) {
    ({
      id: this.id,
      kind: this.kind,
      local: this.local,
      subject: this.subject,
      importance: this.importance,
      threadId: this.threadId,
      meeting: this.meeting,
    } = init);
  }

  /** The conversation-local id of a person, allocated on first use. */
  idOf(person: Person): string {
    let id = this.idByPerson.get(person);
    if (!id) {
      let candidate = this.allocateId(person);
      for (let n = 2; this.usedIds.has(candidate); n++) candidate = `${this.allocateId(person)}-${n}`;
      id = candidate;
      this.usedIds.add(id);
      this.idByPerson.set(person, id);
      this.personById.set(id, person);
    }
    return id;
  }

  byId(id: string): Person | undefined {
    const person = this.personById.get(id);
    return person && person.where !== 'gone' ? person : undefined;
  }

  forget(person: Person): void {
    const id = this.idByPerson.get(person);
    if (id) this.personById.delete(id);
    this.idByPerson.delete(person);
    this.messagingPeople.delete(person);
  }

  /** Remote people currently in the conversation (lobby included), in arrival order. */
  remotePeople(): Person[] {
    const source = this.meeting ? this.meeting.people() : this.peers;
    return source.filter((person) => person.where !== 'gone' && person !== this.local);
  }
}

export type InvitationState = 'Connecting' | 'Connected' | 'Declined' | 'Cancelled' | 'Failed';

export class Invitation {
  state: InvitationState = 'Connecting';
  readonly id: string;
  readonly kind: InvitationKind;
  readonly direction: 'Incoming' | 'Outgoing';
  readonly conversation: Conversation;

  /** Incoming: offers accept/decline only while pending. */
  constructor(
    init: {
      id: string;
      kind: InvitationKind;
      direction: 'Incoming' | 'Outgoing';
      conversation: Conversation;
    },
    readonly details: {
      subject: string;
      importance: string;
      to: string;
      operationId?: string;
      message?: string;
      messageEncoding?: 'url' | 'base64';
      onlineMeetingUri?: string;
      from?: Person;
      fromAlias?: string;
      embedFrom: boolean;
      /** addMessaging: the conversation existed before and outlives a failed invitation. */
      inExistingConversation?: boolean;
    },
  ) {
    ({ id: this.id, kind: this.kind, direction: this.direction, conversation: this.conversation } = init);
  }

  get pending(): boolean {
    return this.state === 'Connecting';
  }

  get rel(): string {
    return `${this.kind}Invitation`;
  }
}

/** One application's conversation on a meeting. */
export interface MeetingView {
  app: Application;
  conversation: Conversation;
}

/** An online meeting, independent of any application; applications that join it get a conversation view. */
export class MeetingState {
  private readonly members: Person[] = [];
  readonly views = new Set<MeetingView>();
  readonly joinWaiters: (() => void)[] = [];
  private counter = 0;

  readonly onlineMeetingUri: string;
  readonly subject: string;
  readonly accountIsLeader: boolean;
  readonly accessLevel: string;
  readonly organizer: Person | undefined;
  readonly conferenceId: string;

  constructor(init: {
    onlineMeetingUri: string;
    subject: string;
    accountIsLeader: boolean;
    accessLevel: string;
    organizer: Person | undefined;
    conferenceId: string;
  }) {
    ({
      onlineMeetingUri: this.onlineMeetingUri,
      subject: this.subject,
      accountIsLeader: this.accountIsLeader,
      accessLevel: this.accessLevel,
      organizer: this.organizer,
      conferenceId: this.conferenceId,
    } = init);
    const { organizer } = init;
    if (organizer) {
      organizer.meetingMember = true;
      this.members.push(organizer);
    }
  }

  nextKey(): string {
    this.counter += 1;
    return `guest-${this.counter}`;
  }

  add(person: Person): void {
    person.meetingMember = true;
    this.members.push(person);
  }

  people(): Person[] {
    return this.members.filter((person) => person.where !== 'gone');
  }

  find(key: string): Person | undefined {
    return this.members.find((person) => person.key === key && person.where !== 'gone');
  }

  get onlineMeetingId(): string {
    return /id:\s*([^;\s]+)\s*$/i.exec(this.onlineMeetingUri)?.[1] ?? this.conferenceId;
  }
}

export interface ApplicationIdentity {
  culture: string;
  endpointId: string;
  instanceId?: string;
  userAgent: string;
}

/** Server-side state of one UCWA application. */
export class Application {
  available = false;
  supportedModalities: string[] = [];
  supportedMessageFormats: string[] = ['Plain'];
  audioPreference = 'PhoneAudio';
  signInAs = 'Online';
  readonly conversations = new Map<string, Conversation>();
  readonly invitations = new Map<string, Invitation>();
  readonly availableWaiters: (() => void)[] = [];
  /** Ids start somewhere random, as a real server's do: clients must not assume them. */
  private counter = 100 + randomInt(400);

  constructor(
    readonly id: string,
    readonly paths: AppPaths,
    readonly identity: ApplicationIdentity,
    readonly channel: EventChannel,
  ) {}

  /** Opaque numeric ids for conversations, invitations, messages and numeric participant ids. */
  nextId(): string {
    this.counter += 1 + (this.counter % 7);
    return String(this.counter);
  }
}
