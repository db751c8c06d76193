/**
 * Public types of the UCWA simulator. Everything here is part of the API that tests, benchmarks and the
 * demo code against; internal state lives in the other modules.
 */
import type { SimClock } from './timers.js';

export type PathFamily = 'v1' | 'oauth';
export type ParticipantIdStyle = 'numeric' | 'sip';
export type HrefStyle = 'relative' | 'absolute' | 'mixed';

export interface AccountOptions {
  /** SIP URI of the signed-in service account, e.g. `sip:gatekeeper@contoso.com`. */
  uri: string;
  /** Display name. */
  name: string;
  /** Username the MsRtcOAuth password grant accepts; default: the URI without `sip:`. */
  username?: string;
  /** Password the MsRtcOAuth password grant accepts; default `P@ssw0rd`. */
  password?: string;
}

export interface JwtIssuerOptions {
  /** Expected `iss` claim. */
  issuer: string;
  /** Where to fetch the signing keys (JWKS). One of `jwksUri` or `jwks` is required. */
  jwksUri?: string;
  /** The signing keys inline. */
  jwks?: { keys: object[] };
}

export interface SimulatorOptions {
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** First port to listen on (the others follow it); default: ephemeral ports. */
  port?: number;
  /** `/ucwa/v1/applications` (reference pages) or `/ucwa/oauth/v1/applications` (task pages); default `oauth`. */
  pathFamily?: PathFamily;
  /** `participants/196` or `participants/lenea@contoso.com`; default `numeric`. */
  participantIds?: ParticipantIdStyle;
  /** Extra autodiscover roots to hop through before the one that has `user`; default 0. */
  discoveryRedirects?: number;
  /** How those roots send the client on: a `redirect` link in a 200 (`link`, default) or a 302 (`http`). */
  discoveryRedirectsAs?: 'link' | 'http';
  modalities?: {
    /** What makeMeAvailable accepts; any other modality answers 403 (its error table); default Messaging, PhoneAudio. */
    allowed?: string[];
    /** Deliver an invitation only when its modality was registered (makeMeAvailable_ref.md); default true. */
    deliverRegisteredOnly?: boolean;
  };
  /** UCWA pool (applications) on its own origin, different from the autodiscover host; default true. */
  separatePoolOrigin?: boolean;
  /** The signed-in service account; default `sip:gatekeeper@contoso.com`. */
  account?: AccountOptions;
  /**
   * Further users of the same server (a deployment guarding several accounts). Each has its own applications,
   * conversations and meetings (`sim.user(username)`); a token is only good for its own user's.
   */
  moreAccounts?: AccountOptions[];
  /** Latency injected before every real HTTP request is handled; default 0. */
  latencyMs?: number;
  /**
   * Where its time comes from (P-GET timeouts, resume and idle reclaim, activity expiry, latency, token
   * expiry, recorded times); default the wall clock. A `ManualClock` lets a test move time itself.
   */
  clock?: SimClock;
  eventChannel?: {
    /** Lower bound of the P-GET `timeout` parameter in seconds (the docs say 180); default 180. */
    minTimeoutSec?: number;
    /** Timeout used when the client never sent one (docs: 180 s); default 180, clamped to the minimum. */
    defaultTimeoutSec?: number;
    /** Silence without any P-GET after which the next response carries `resume`; default 10 min. */
    resumeAfterMs?: number;
  };
  /** The application is reclaimed this long after the last P-GET was released with no new one; default 15 min. */
  applicationIdleTimeoutMs?: number;
  /**
   * An available application (makeMeAvailable) that reports no activity (reportMyActivity) for this long
   * expires with 410 InactiveApplicationExpired; default 5 min, 0 turns it off.
   */
  activityTimeoutMs?: number;
  /** Max parts per batch (and outstanding batch parts) before 429; default 100. */
  batchLimit?: number;
  /** A POST or PUT batch part without Content-Length answers 411 Length Required; default true. */
  batchPartsNeedLength?: boolean;
  tokens?: {
    /** Azure AD style JWT issuers whose tokens are accepted (audience = request origin, scopes from `scp`). */
    acceptJwt?: JwtIssuerOptions[];
    /** `expires_in` of tokens from the token endpoint and `issueToken`; default 28 800 s (8 h). */
    defaultLifetimeSec?: number;
    /**
     * Check the scopes of opaque `cwt=` tokens too. Default false: server OAuth tokens carry no scopes (the
     * scope tables are for online applications), so only JWTs are scope-limited.
     */
    scopedOpaqueTokens?: boolean;
  };
  /** default `mixed`: resources use relative hrefs, event sender/link hrefs are absolute like the reference samples. */
  hrefStyle?: HrefStyle;
  /**
   * `captured` (default): what the task pages' captured traffic shows — absolute hrefs on root and user,
   * `communication` updated embeds communication, a sent message's `completed` embeds the message.
   * `sparse`: root and user follow hrefStyle, and those events carry only their link.
   */
  traffic?: 'captured' | 'sparse';
  /**
   * Events about the account's own (outgoing) invitations: `embedded` (default; SendAnIM.md) or `link`, only
   * the link, as the reference pages' samples show.
   */
  outgoingInvitationEvents?: 'embedded' | 'link';
  /** A roster arrival is also `added` `in` attendees or leaders (attendees_ref.md); default true. */
  rosterEvents?: boolean;
}

export type Role = 'Attendee' | 'Leader' | 'Unknown';
export type SourceNetwork = 'SameEnterprise' | 'Federated' | 'PublicCloud' | 'Everyone' | 'Unknown';

/** The participant schema shared by `participant`, `from` and `localParticipant`. */
export interface ParticipantFacts {
  anonymous: boolean;
  inLobby: boolean;
  local: boolean;
  name: string;
  organizer: boolean;
  role: Role;
  sourceNetwork: SourceNetwork;
  uri: string;
  workPhoneNumber: string;
  otherPhoneNumber: string;
}

/**
 * What a scenario says about a participant. Missing properties get defaults; `null` leaves the property out of
 * every representation (the docs say any property may be missing).
 */
export type ParticipantSeed = { [K in keyof ParticipantFacts]?: ParticipantFacts[K] | null };

export type InvitationKind = 'messaging' | 'audioVideo' | 'phoneAudio' | 'onlineMeeting';

export interface IncomingInvitationOptions {
  kind: InvitationKind;
  from: ParticipantSeed;
  subject?: string;
  importance?: 'Normal' | 'Urgent' | 'Emergency';
  /** First message text (messaging; optional on onlineMeeting), carried as `_links.message` data URI. */
  message?: string;
  /** `url` (percent-encoding with `+` for spaces, the default) or `base64`. */
  messageEncoding?: 'url' | 'base64';
  /** Embed the sender as `_embedded.from` in the invitation; default true. */
  embedFrom?: boolean;
  /** Embed the invitation in its `started` event; default true (otherwise only the link is sent). */
  embedInvitation?: boolean;
  /** Follow `started` with an `updated` event whose embedded invitation lacks accept/decline (ReceiveAnIM). */
  updatedEvent?: boolean;
  /** onlineMeeting kind: the meeting accepting joins (a defined meeting's URI); default: an ad-hoc meeting. */
  onlineMeetingUri?: string;
  /**
   * Odd payloads: merged into `_embedded.from` of the `started` event only (the resources stay as seeded);
   * `null` deletes a property. Needs the invitation and its sender embedded (the defaults).
   */
  embeddedFromPatch?: Record<string, unknown>;
}

export interface InvitationHandle {
  /** False when no application could receive it (none, or not made available: lurker mode). */
  delivered: boolean;
  /** Empty strings when not delivered. Hrefs are paths on the pool origin. */
  invitationHref: string;
  conversationHref: string;
  /** The invitation's `from` link (a participant-shaped resource whose GET answers `rel: "from"`). */
  fromHref: string;
  /** The sender as a conversation participant (what `_embedded.from._links.self` points at). */
  participantHref: string;
  /** The remote side gives up: the invitation completes as `Cancelled`. No-op once it is no longer pending. */
  cancel(): void;
  /** The remote side sends another IM in the conversation; false unless messaging is connected. */
  say(text: string): boolean;
}

export interface UndeliveredInvitation {
  at: number;
  /** `modalityNotRegistered`: makeMeAvailable did not register the modality the invitation needs. */
  reason: 'noApplication' | 'notAvailable' | 'modalityNotRegistered';
  options: IncomingInvitationOptions;
}

export type LobbyOperation = 'admit' | 'reject' | 'eject';

export interface KnockOptions {
  /** Embed the participant in the lobby `added` event; default false (only the link). */
  embedParticipant?: boolean;
  /** Restrict which capability links this participant offers (the role rules still apply). */
  offer?: LobbyOperation[];
  /**
   * Odd payloads: merged into the participant embedded in this person's events only (the participant
   * resource and the lobby stay as seeded); `null` deletes a property. Needs `embedParticipant`.
   */
  embeddedPatch?: Record<string, unknown>;
}

export interface MeetingOptions {
  onlineMeetingUri: string;
  subject?: string;
  /** Organizer facts; present in the roster as `organizer: true, role: Leader`. */
  organizer?: ParticipantSeed;
  /** Whether the service account joins as a Leader (required to see admit/reject/eject); default true. */
  accountIsLeader?: boolean;
  accessLevel?: 'Everyone' | 'Invited' | 'Locked' | 'SameEnterprise' | 'None';
}

export interface MeetingParticipantHandle {
  /** Stable key of this person within the meeting. */
  key: string;
  /** Href of this participant in the current application's conversation for the meeting; '' when not joined. */
  readonly participantHref: string;
  /** The participant leaves by itself (lobby or roster). */
  leave(): void;
}

export interface MeetingParticipantInfo {
  key: string;
  facts: Partial<ParticipantFacts>;
  where: 'lobby' | 'roster';
  participantHref: string;
}

export interface Meeting {
  readonly onlineMeetingUri: string;
  /** A guest arrives in the lobby. */
  knock(guest: ParticipantSeed, opts?: KnockOptions): MeetingParticipantHandle;
  /** Someone joins the roster directly (lobby bypass). */
  join(guest: ParticipantSeed, opts?: KnockOptions): MeetingParticipantHandle;
  /** A participant leaves by itself: by handle, key, participant href, or matching uri/name. */
  leave(who: MeetingParticipantHandle | string | ParticipantSeed): boolean;
  /** Everyone currently in the lobby or roster (the service account excluded). */
  participants(): MeetingParticipantInfo[];
  /** Resolves once an application of the account has joined this meeting. */
  whenJoined(): Promise<void>;
}

export interface PendingEventInfo {
  senderRel: string;
  senderHref: string;
  rel: string;
  href: string;
  type: string;
  in?: string;
}

export interface ScenarioRunResult {
  stepsRun: number;
  /** The simulator closed before every step ran. */
  cancelled: boolean;
  /** Steps that could not run (e.g. a knock on a meeting nobody defined), with the reason. */
  errors: string[];
}

export interface Scenario {
  incomingInvitation(options: IncomingInvitationOptions): InvitationHandle;
  /** Shorthand for a messaging invitation. */
  incomingIm(
    from: ParticipantSeed,
    message?: string,
    extra?: Omit<IncomingInvitationOptions, 'kind' | 'from' | 'message'>,
  ): InvitationHandle;
  meeting(options: MeetingOptions): Meeting;
  getMeeting(onlineMeetingUri: string): Meeting | undefined;
  /** Resolves once the current application has called makeMeAvailable (immediately if it already has). */
  whenAvailable(): Promise<void>;
  /** Events queued for the current application and not yet sent in any P-GET response. */
  pendingEvents(): PendingEventInfo[];
  /**
   * Test hook: change the resources embedded in events still queued (not yet sent), e.g. to send a value a real
   * server might send oddly (`subject: null`, a count as a string). `edit` gets each pending event and its
   * embedded resource (the object under `_embedded[rel]`, if any) to modify in place. Call it in the same turn
   * as the step that queued the events: they leave with the next P-GET. Returns how many events were seen.
   */
  editPendingEvents(
    edit: (event: PendingEventInfo, embedded: Record<string, unknown> | undefined) => void,
  ): number;
  /** Invitations that reached no application (lurker mode or no application). */
  readonly undelivered: UndeliveredInvitation[];
  /** How outgoing invitations (startMessaging, addMessaging) are answered by the far end. */
  setRemoteAnswer(answer: 'accept' | 'decline' | 'noAnswer', afterMs?: number): void;
  /** Runs a JSON scenario (validated with zod; see README). Resolves when every step ran. */
  run(json: unknown): Promise<ScenarioRunResult>;
}

export interface FaultSpec {
  method?: string;
  /** Matched against path + query: substring for a string, `test` for a RegExp. */
  path: string | RegExp;
  status?: number;
  code?: string;
  subcode?: string;
  /** `Retry-After` header: seconds or an HTTP date. */
  retryAfter?: string;
  /** How many matching requests it affects; default 1, `Infinity` allowed. */
  times?: number;
  /** Delay before the request is handled (combines with the other effects). */
  latencyMs?: number;
  /** Destroy the socket without any response. */
  drop?: boolean;
  /** Answer 200 with a truncated JSON body. The request is handled first, so its effect happens. */
  malformedJson?: boolean;
  /** Error body as a proxy would send it: text/html instead of a UCWA JSON error. */
  html?: boolean;
  /** `before` (default): the fault replaces handling. `after`: the request takes effect, then the fault applies. */
  phase?: 'before' | 'after';
  /** Only real HTTP requests, never batch parts. */
  outerOnly?: boolean;
}

export interface FaultHandle {
  remove(): void;
  /** How many requests it has affected so far. */
  readonly hits: number;
}

export interface Faults {
  inject(spec: FaultSpec): FaultHandle;
  clear(): void;
}

export interface RecordedRequest {
  origin: string;
  method: string;
  /** Path with query, as received. */
  path: string;
  /** 0 while pending (a parked P-GET); -1 when a fault dropped the socket; 499 when the client left first. */
  status: number;
  authorization?: string;
  contentType?: string;
  /** Arrival time, epoch ms with sub-ms precision. */
  at: number;
  completedAt?: number;
  batchPart?: boolean;
  /** Batch parts: the headers of the HTTP request the part carries (lower-case names). */
  headers?: Record<string, string>;
  /** Batch parts: the part's own MIME headers (Content-Type, Content-Transfer-Encoding). */
  mimeHeaders?: Record<string, string>;
  /** Events the answer carried (event-channel GETs), set once the answer was written to the socket. */
  events?: RecordedEvent[];
}

/** One event as a P-GET answer carried it (hrefs as rendered, usually absolute). */
export interface RecordedEvent {
  senderRel: string;
  senderHref: string;
  rel: string;
  href: string;
  /** The link title (a participant's name). */
  title?: string;
  type: string;
  in?: { rel: string; href: string };
}

export type ActionKind =
  | 'accept'
  | 'decline'
  | 'eject'
  | 'admit'
  | 'reject'
  | 'sendMessage'
  | 'joinOnlineMeeting'
  | 'makeMeAvailable'
  | 'createApplication'
  | 'deleteApplication'
  | 'startMessaging'
  | 'addMessaging'
  | 'stopMessaging'
  | 'cancel'
  | 'leaveConversation'
  | 'reportMyActivity'
  | 'applicationExpired';

export interface RecordedAction {
  kind: ActionKind;
  /** The path the action was posted to. */
  href: string;
  participantUri?: string;
  meetingUri?: string;
  applicationId?: string;
  at: number;
  body?: unknown;
}

/** One user of the server: the first is the simulator's own `scenario`, `credentials`, `issueToken`. */
export interface SimUser {
  credentials: { username: string; password: string };
  scenario: Scenario;
  issueToken(opts?: { origin?: string; scopes?: string[]; lifetimeSec?: number }): string;
  currentApplicationId(): string | undefined;
}

export interface UcwaSimulator {
  /** e.g. http://127.0.0.1:PORT/autodiscover/autodiscoverservice.svc/root */
  discoveryUrl: string;
  /** Every origin it listens on (loopback, distinct ports). */
  origins: { discovery: string[]; pool: string };
  /** Username and password the MsRtcOAuth password grant accepts. */
  credentials: { username: string; password: string };
  /** Opaque `cwt=...` token valid for that origin (default all) and scopes (default Initiate + Receive). */
  issueToken(opts?: { origin?: string; scopes?: string[]; lifetimeSec?: number }): string;
  /** Every token issued or seen so far becomes invalid. */
  revokeTokens(): void;
  scenario: Scenario;
  /** A user of this server by user name (`account` or one of `moreAccounts`). */
  user(username: string): SimUser;
  /** Whose token an Authorization header carries (user name), if it is one the simulator knows. */
  tokenUser(authorization: string | undefined): string | undefined;
  /** Whose application an id is (user name), live or gone. */
  applicationUser(applicationId: string): string | undefined;
  faults: Faults;
  setLatency(ms: number): void;
  requests: RecordedRequest[];
  actions: RecordedAction[];
  /** Id of the current (most recently created, still live) application, if any. */
  currentApplicationId(): string | undefined;
  /** The current application is gone: later calls get 404 ApplicationNotFound or 410 InactiveApplicationExpired. */
  expireApplication(how?: '404' | '410'): void;
  /**
   * 'request': on arrival (status still 0); 'response': once answered; 'action': a state change happened;
   * 'parked': a P-GET now waits for events or its timeout.
   */
  on(event: 'request' | 'response', listener: (request: RecordedRequest) => void): void;
  on(event: 'action', listener: (action: RecordedAction) => void): void;
  on(event: 'parked', listener: () => void): void;
  off(event: 'request' | 'response' | 'action' | 'parked', listener: (x: never) => void): void;
  /** What the simulator still holds open (all zero after close()). */
  openHandles(): { timers: number; connections: number; listening: number };
  /** Closes every listener and pending P-GET; no timers left behind. */
  close(): Promise<void>;
}
