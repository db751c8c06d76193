import { z } from 'zod';
import type { Timers } from './timers.js';
import type { Meeting, Scenario, ScenarioRunResult } from './types.js';

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().exactOptional();

const participantSeed = z.strictObject({
  anonymous: nullable(z.boolean()),
  inLobby: nullable(z.boolean()),
  local: nullable(z.boolean()),
  name: nullable(z.string()),
  organizer: nullable(z.boolean()),
  role: nullable(z.enum(['Attendee', 'Leader', 'Unknown'])),
  sourceNetwork: nullable(z.enum(['SameEnterprise', 'Federated', 'PublicCloud', 'Everyone', 'Unknown'])),
  uri: nullable(z.string()),
  workPhoneNumber: nullable(z.string()),
  otherPhoneNumber: nullable(z.string()),
});

const invitationFields = {
  from: participantSeed,
  subject: z.string().exactOptional(),
  importance: z.enum(['Normal', 'Urgent', 'Emergency']).exactOptional(),
  message: z.string().exactOptional(),
  messageEncoding: z.enum(['url', 'base64']).exactOptional(),
  embedFrom: z.boolean().exactOptional(),
  embedInvitation: z.boolean().exactOptional(),
  updatedEvent: z.boolean().exactOptional(),
};

const lobbyOperation = z.enum(['admit', 'reject', 'eject']);

const arrival = z.strictObject({
  meeting: z.string().min(1),
  guest: participantSeed,
  embedParticipant: z.boolean().exactOptional(),
  offer: z.array(lobbyOperation).exactOptional(),
});

const actions = {
  incomingIm: z.strictObject(invitationFields),
  incomingInvitation: z.strictObject({
    ...invitationFields,
    kind: z.enum(['messaging', 'audioVideo', 'phoneAudio', 'onlineMeeting']),
    onlineMeetingUri: z.string().exactOptional(),
  }),
  meeting: z.strictObject({
    onlineMeetingUri: z.string().min(1),
    subject: z.string().exactOptional(),
    organizer: participantSeed.exactOptional(),
    accountIsLeader: z.boolean().exactOptional(),
    accessLevel: z.enum(['Everyone', 'Invited', 'Locked', 'SameEnterprise', 'None']).exactOptional(),
  }),
  knock: arrival,
  join: arrival,
  leave: z.strictObject({ meeting: z.string().min(1), guest: participantSeed }),
  remoteAnswer: z.strictObject({
    answer: z.enum(['accept', 'decline', 'noAnswer']),
    afterMs: z.number().nonnegative().exactOptional(),
  }),
};
const ACTION_NAMES = Object.keys(actions) as (keyof typeof actions)[];

const step = z
  .strictObject({
    /** Offset from the scenario start (or, with waitForJoin, from the moment the account joined the meeting). */
    afterMs: z.number().nonnegative().default(0),
    /** knock/join/leave: count afterMs from the account's joining of that meeting. */
    waitForJoin: z.boolean().exactOptional(),
    comment: z.string().exactOptional(),
    incomingIm: actions.incomingIm.exactOptional(),
    incomingInvitation: actions.incomingInvitation.exactOptional(),
    meeting: actions.meeting.exactOptional(),
    knock: actions.knock.exactOptional(),
    join: actions.join.exactOptional(),
    leave: actions.leave.exactOptional(),
    remoteAnswer: actions.remoteAnswer.exactOptional(),
  })
  .refine((value) => ACTION_NAMES.filter((name) => value[name] !== undefined).length === 1, {
    message: `each step needs exactly one of: ${ACTION_NAMES.join(', ')}`,
  })
  .refine((value) => !value.waitForJoin || value.knock || value.join || value.leave, {
    message: 'waitForJoin only applies to knock, join and leave steps',
  });

export const scenarioFileSchema = z.strictObject({
  description: z.string().exactOptional(),
  /** Meetings defined as soon as the scenario is loaded, so the account can join them before anything happens. */
  meetings: z.array(actions.meeting).default([]),
  /** `available` (default): the step clock starts when the account calls makeMeAvailable; `now`: at once. */
  startWhen: z.enum(['available', 'now']).default('available'),
  steps: z.array(step).default([]),
});

export type ScenarioFile = z.infer<typeof scenarioFileSchema>;
type Step = ScenarioFile['steps'][number];

/** Validates a scenario file's content; throws with a readable list of problems. */
export function parseScenarioFile(json: unknown): ScenarioFile {
  const parsed = scenarioFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`Invalid scenario:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const POLL_MS = 25;

/** Runs the steps on their timers; resolves when all ran (or the simulator closed). */
export async function runScenarioFile(
  scenario: Scenario,
  timers: Timers,
  json: unknown,
): Promise<ScenarioRunResult> {
  const file = parseScenarioFile(json);
  const result: ScenarioRunResult = { stepsRun: 0, cancelled: false, errors: [] };
  for (const meeting of file.meetings) scenario.meeting(meeting);
  if (file.startWhen === 'available') await scenario.whenAvailable();
  const start = timers.now();

  const meetingNamed = async (uri: string): Promise<Meeting | undefined> => {
    // A step may refer to a meeting a later-timed step defines: wait for it as long as the simulator runs.
    for (;;) {
      const meeting = scenario.getMeeting(uri);
      if (meeting || timers.isClosed) return meeting;
      await timers.delay(POLL_MS);
    }
  };

  const runStep = async (item: Step, index: number): Promise<void> => {
    let base = start;
    const meetingUri = item.knock?.meeting ?? item.join?.meeting ?? item.leave?.meeting;
    if (item.waitForJoin && meetingUri) {
      const meeting = await meetingNamed(meetingUri);
      await meeting?.whenJoined();
      base = timers.now();
    }
    await timers.delay(base + item.afterMs - timers.now());
    if (timers.isClosed) {
      result.cancelled = true;
      return;
    }
    try {
      perform(scenario, item);
      result.stepsRun += 1;
    } catch (error) {
      result.errors.push(`step ${index}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  await Promise.all(file.steps.map((item, index) => runStep(item, index)));
  if (timers.isClosed && result.stepsRun + result.errors.length < file.steps.length) result.cancelled = true;
  return result;
}

function perform(scenario: Scenario, item: Step): void {
  if (item.incomingIm) {
    const { from, message, ...rest } = item.incomingIm;
    scenario.incomingIm(from, message, rest);
  } else if (item.incomingInvitation) {
    scenario.incomingInvitation(item.incomingInvitation);
  } else if (item.meeting) {
    scenario.meeting(item.meeting);
  } else if (item.remoteAnswer) {
    scenario.setRemoteAnswer(item.remoteAnswer.answer, item.remoteAnswer.afterMs);
  } else {
    const target = item.knock ?? item.join ?? item.leave;
    if (!target) return;
    const meeting = scenario.getMeeting(target.meeting);
    if (!meeting) throw new Error(`no meeting ${target.meeting}`);
    if (item.knock) meeting.knock(item.knock.guest, optionsOf(item.knock));
    else if (item.join) meeting.join(item.join.guest, optionsOf(item.join));
    else if (item.leave && !meeting.leave(item.leave.guest)) throw new Error('no such participant to leave');
  }
}

function optionsOf(arrival: {
  embedParticipant?: boolean | undefined;
  offer?: ('admit' | 'reject' | 'eject')[] | undefined;
}) {
  return {
    ...(arrival.embedParticipant !== undefined ? { embedParticipant: arrival.embedParticipant } : {}),
    ...(arrival.offer ? { offer: arrival.offer } : {}),
  };
}
