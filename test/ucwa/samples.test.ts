import { describe, expect, it } from 'vitest';
import { parseUcwaResource } from '../../shared/ucwa/index.js';
import { jsonSamples, SAMPLES_PRESENT, withSamplesNote } from '../helpers/samples.js';

/** The resources the gatekeeper reads (issue 2), by their sample folder names. */
const RESOURCES = [
  'root',
  'user',
  'redirect',
  'application',
  'applications',
  'applications2',
  'me',
  'communication',
  'events',
  'messagingInvitation',
  'audioVideoInvitation',
  'onlineMeetingInvitation',
  'participantInvitation',
  'phoneAudioInvitation',
  'invitation',
  'participant',
  'from',
  'localParticipant',
  'lobby',
  'leaders',
  'attendees',
  'participants',
  'conversation',
  'onlineMeeting',
  'messaging',
  'message',
  'messages',
  'makeMeAvailable',
  'joinOnlineMeeting',
  'decline',
  'accept',
  'eject',
  'admit',
  'reject',
];

const samples = jsonSamples(RESOURCES);

describe.skipIf(!SAMPLES_PRESENT)(withSamplesNote('UCWA reference samples'), () => {
  it('are present', () => {
    expect(samples.length).toBeGreaterThan(30);
  });

  it.each(samples.map((s) => [s.file, s] as const))('%s parses', (_file, sample) => {
    const rel = sample.kind.startsWith('event') ? 'events' : sample.resource;
    expect(() => parseUcwaResource(rel, sample.body)).not.toThrow();
    // Under its own resource name too: event samples are recognised by shape.
    expect(() => parseUcwaResource(sample.resource, sample.body)).not.toThrow();
  });
});
