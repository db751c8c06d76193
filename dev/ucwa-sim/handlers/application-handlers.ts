import { errors, ucwaError } from '../errors.js';
import {
  emptyResponse,
  etagFor,
  jsonResponse,
  type SimRequest,
  type SimResponse,
  textResponse,
} from '../http-types.js';
import {
  renderApplication,
  renderCommunication,
  renderLocation,
  renderMe,
  renderNote,
  renderOnlineMeetings,
  renderPeople,
  renderPolicies,
  renderPresence,
} from '../resources/application-resource.js';
import type { World } from '../world.js';
import {
  type HandlerContext,
  type ResolvedRoute,
  readJsonBody,
  stringArrayProp,
  stringProp,
} from './context.js';

const MAX_FIELD = 100;

/** POST applications (docs/ucwa-protocol.md §4.1): culture, endpointId and userAgent required; camelCase or PascalCase keys. */
export function createApplication(world: World, req: SimRequest): SimResponse {
  const body = readJsonBody(req);
  if (!body.ok) return body.response;
  const invalid: Record<string, string> = {};
  const field = (name: string, required: boolean): string | undefined => {
    const value = stringProp(body.value, name);
    if (value === undefined) {
      if (required) invalid[name] = 'Required';
    } else if (value.length > MAX_FIELD || (required && value.trim() === '')) {
      invalid[name] = `Must be 1 to ${MAX_FIELD} characters`;
    }
    return value;
  };
  const culture = field('culture', true);
  const endpointId = field('endpointId', true);
  const userAgent = field('userAgent', true);
  const instanceId = field('instanceId', false);
  if (Object.keys(invalid).length > 0 || !culture || !endpointId || !userAgent) {
    return errors.parameterValidation(
      `Invalid or missing parameters: ${Object.keys(invalid).join(', ')}.`,
      invalid,
    );
  }
  const { app, created } = world.createApplication({
    culture,
    endpointId,
    userAgent,
    ...(instanceId !== undefined ? { instanceId } : {}),
  });
  const response = jsonResponse(created ? 201 : 200, renderApplication(world.render(app), app));
  response.headers.Etag = etagFor(String(response.body));
  return response;
}

/** OPTIONS applications: the metadata the reference shows. */
export function applicationsMetadata(): SimResponse {
  return jsonResponse(200, {
    metadata: [
      {
        httpMethod: 'POST',
        parameters: [
          { name: 'culture', supportedValues: ['en-us'] },
          { name: 'endpointId', supportedValues: [] },
          { name: 'instanceId', supportedValues: [] },
          { name: 'userAgent', supportedValues: [] },
        ],
      },
    ],
  });
}

const MODALITIES = new Set([
  'Audio',
  'Video',
  'PhoneAudio',
  'Messaging',
  'PanoramicVideo',
  'ApplicationSharing',
  'DataCollaboration',
]);
const FORMATS = new Set(['Plain', 'Html']);
const AVAILABILITY = new Set(['Online', 'Busy', 'DoNotDisturb', 'BeRightBack', 'Away', 'Offwork']);
const AUDIO_PREFERENCES = new Set(['PhoneAudio', 'VoipAudio']);

function makeMeAvailable({ world, app, req }: HandlerContext): SimResponse {
  const body = readJsonBody(req);
  if (!body.ok) return body.response;
  if (app.available)
    return errors.conflict('AlreadyExists', 'makeMeAvailable was already called for this application.');
  const modalities = stringArrayProp(body.value, 'supportedModalities') ?? ['Messaging'];
  const formats = stringArrayProp(body.value, 'supportedMessageFormats') ?? ['Plain'];
  const signInAs = stringProp(body.value, 'signInAs') ?? 'Online';
  const audioPreference = stringProp(body.value, 'audioPreference');
  const invalid: Record<string, string> = {};
  if (modalities.some((m) => !MODALITIES.has(m))) invalid.supportedModalities = [...MODALITIES].join('|');
  if (formats.some((f) => !FORMATS.has(f))) invalid.supportedMessageFormats = 'Plain|Html';
  if (!AVAILABILITY.has(signInAs)) invalid.signInAs = [...AVAILABILITY].join('|');
  if (audioPreference !== undefined && !AUDIO_PREFERENCES.has(audioPreference))
    invalid.audioPreference = 'PhoneAudio|VoipAudio';
  if (Object.keys(invalid).length > 0)
    return errors.parameterValidation('Invalid makeMeAvailable input.', invalid);
  // The makeMeAvailable error table allows only Messaging and PhoneAudio (docs/ucwa-protocol.md §5).
  const refused = modalities.filter((m) => !world.opts.allowedModalities.has(m));
  if (refused.length > 0)
    return errors.forbidden(undefined, `Modalities not allowed: ${refused.join(', ')}.`);
  world.makeMeAvailable(app, {
    modalities,
    formats,
    signInAs,
    ...(audioPreference !== undefined ? { audioPreference } : {}),
  });
  return emptyResponse(204);
}

/** reportMyActivity_ref.md: 409 MakeMeAvailableRequired before makeMeAvailable; afterwards it keeps the application. */
function reportMyActivity({ world, app }: HandlerContext): SimResponse {
  if (!app.available)
    return errors.conflict('MakeMeAvailableRequired', 'makeMeAvailable was not called for this application.');
  world.activity.touch(app);
  world.recorder.action({
    kind: 'reportMyActivity',
    href: app.paths.reportMyActivity,
    applicationId: app.id,
  });
  return emptyResponse(204);
}

/** PUT communication: conditional (428 without If-Match, 412 when stale) and must echo the GUID marker. */
function putCommunication({ world, app, req, r }: HandlerContext): SimResponse {
  const current = etagFor(JSON.stringify(renderCommunication(r, app)));
  const ifMatch = req.headers['if-match']?.replace(/"/g, '').trim();
  if (!ifMatch)
    return ucwaError(428, { code: 'PreconditionRequired', message: 'PUT requires an If-Match header.' });
  if (ifMatch !== current && ifMatch !== '*') {
    return ucwaError(412, { code: 'PreconditionFailed', message: 'The resource changed since it was read.' });
  }
  const body = readJsonBody(req);
  if (!body.ok) return body.response;
  if (!(world.putMarker in body.value)) {
    return errors.parameterValidation('A PUT must echo every property of the resource.', {
      [world.putMarker]: 'Required',
    });
  }
  const formats = stringArrayProp(body.value, 'supportedMessageFormats');
  if (formats?.every((f) => FORMATS.has(f))) app.supportedMessageFormats = formats;
  return emptyResponse(200);
}

const TINY_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==',
  'base64',
);

const get = (render: (ctx: HandlerContext) => unknown) => (ctx: HandlerContext) =>
  jsonResponse(200, render(ctx));
const noContent = () => emptyResponse(204);

/** Resources directly below the application, in the scope table's names. */
export function applicationRoutes(r: string): ResolvedRoute | undefined {
  switch (r) {
    case 'application':
      return {
        scope: 'application',
        methods: {
          GET: get(({ r: rc, app }) => renderApplication(rc, app)),
          DELETE: ({ world, app }) => {
            world.deleteApplication(app);
            return emptyResponse(204);
          },
        },
      };
    case 'policies':
      return { scope: 'policies', methods: { GET: get(({ r: rc, app }) => renderPolicies(rc, app)) } };
    case 'reportMyNetwork':
      return { scope: 'reportMyNetwork', methods: { POST: noContent } };
    case 'me':
      return { scope: 'me', methods: { GET: get(({ r: rc, app }) => renderMe(rc, app)) } };
    case 'makeMeAvailable':
      return { scope: 'makeMeAvailable', methods: { POST: makeMeAvailable } };
    case 'reportMyActivity':
      return { scope: 'reportMyActivity', methods: { POST: reportMyActivity } };
    case 'presence':
      return availableOnly('presence', ({ r: rc, app }) => renderPresence(rc, app, app.signInAs));
    case 'note':
      return availableOnly('note', ({ r: rc, app }) => renderNote(rc, app));
    case 'location':
      return availableOnly('location', ({ r: rc, app }) => renderLocation(rc, app));
    case 'photo':
      return { scope: 'photo', methods: { GET: () => textResponse(200, 'image/jpeg', TINY_JPEG) } };
    case 'people':
      return { scope: 'people', methods: { GET: get(({ r: rc, app }) => renderPeople(rc, app)) } };
    case 'onlineMeetings':
      return {
        scope: 'onlineMeetings',
        methods: { GET: get(({ r: rc, app }) => renderOnlineMeetings(rc, app)) },
      };
    case 'communication':
      return {
        scope: 'communication',
        methods: { GET: get(({ r: rc, app }) => renderCommunication(rc, app)), PUT: putCommunication },
      };
    default:
      return undefined;
  }
}

/** presence, note and location exist only after makeMeAvailable. */
function availableOnly(scope: string, render: (ctx: HandlerContext) => unknown): ResolvedRoute {
  return {
    scope,
    methods: {
      GET: (ctx) =>
        ctx.app.available
          ? jsonResponse(200, render(ctx))
          : errors.resourceNotFound('Call makeMeAvailable first.'),
    },
  };
}
