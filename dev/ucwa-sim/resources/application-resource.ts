import type { Application } from '../model.js';
import { type Json, link, type RenderContext } from '../render-context.js';

/** `me`: presence, note and location links appear only after makeMeAvailable (docs/ucwa-protocol.md §5). */
export function renderMe(r: RenderContext, app: Application): Json {
  const paths = app.paths;
  const account = r.opts.account;
  const bare = account.uri.replace(/^sip:/i, '');
  const links: Json = { self: link(r.href(paths.me)) };
  if (app.available) links.location = link(r.href(paths.location));
  links.makeMeAvailable = link(r.href(paths.makeMeAvailable));
  if (app.available) {
    links.note = link(r.href(paths.note));
    links.presence = link(r.href(paths.presence));
  }
  links.photo = link(r.href(paths.photo));
  // Only after makeMeAvailable: the me of a fresh application has no reportMyActivity (CreateAnApplication.md).
  if (app.available) links.reportMyActivity = link(r.href(paths.reportMyActivity));
  return {
    rel: 'me',
    company: 'Contoso',
    department: 'IT',
    emailAddresses: [bare],
    endpointUri: `${account.uri};opaque=user:epid:${app.id};gruu`,
    name: account.name,
    title: 'Service account',
    uri: account.uri,
    _links: links,
  };
}

/** `communication` carries the GUID-named marker a PUT has to echo (docs/ucwa-protocol.md §1, §4.1). */
export function renderCommunication(r: RenderContext, app: Application): Json {
  const paths = app.paths;
  return {
    [r.putMarker]: 'please pass this in a PUT request',
    rel: 'communication',
    audioPreference: app.audioPreference,
    conversationHistory: 'Disabled',
    publishEndpointLocation: false,
    simultaneousRingNumberMatch: 'Disabled',
    supportedMessageFormats: app.supportedMessageFormats,
    supportedModalities: app.supportedModalities,
    videoBasedScreenSharing: 'Disabled',
    _links: {
      self: link(r.href(paths.communication)),
      conversations: link(r.href(paths.conversations)),
      joinOnlineMeeting: link(r.href(paths.joinOnlineMeeting)),
      startMessaging: link(r.href(paths.startMessaging)),
    },
  };
}

export function renderPeople(r: RenderContext, app: Application): Json {
  return { rel: 'people', _links: { self: link(r.href(app.paths.people)) } };
}

export function renderOnlineMeetings(r: RenderContext, app: Application): Json {
  return { rel: 'onlineMeetings', _links: { self: link(r.href(app.paths.onlineMeetings)) } };
}

export function renderApplication(r: RenderContext, app: Application): Json {
  const paths = app.paths;
  const body: Json = {
    rel: 'application',
    type: 'Browser',
    culture: app.identity.culture,
    endpointId: app.identity.endpointId,
    id: app.id,
  };
  if (app.identity.instanceId !== undefined) body.instanceId = app.identity.instanceId;
  body.userAgent = app.identity.userAgent;
  body._links = {
    self: link(r.href(paths.self)),
    batch: link(r.href(paths.batch)),
    events: link(r.href(paths.events(1))),
    policies: link(r.href(paths.policies)),
    reportMyNetwork: link(r.href(paths.reportMyNetwork)),
  };
  body._embedded = {
    communication: renderCommunication(r, app),
    me: renderMe(r, app),
    onlineMeetings: renderOnlineMeetings(r, app),
    people: renderPeople(r, app),
  };
  return body;
}

export function renderPolicies(r: RenderContext, app: Application): Json {
  return {
    rel: 'policies',
    emoticons: 'Enabled',
    htmlMessaging: 'Enabled',
    logging: 'Disabled',
    messageArchiving: 'Disabled',
    photos: 'Enabled',
    telephonyMode: 'None',
    _links: { self: link(r.href(app.paths.policies)) },
  };
}

export function renderPresence(r: RenderContext, app: Application, signInAs: string): Json {
  return {
    rel: 'presence',
    activity: 'Available',
    availability: signInAs,
    _links: { self: link(r.href(app.paths.presence)) },
  };
}

export function renderNote(r: RenderContext, app: Application): Json {
  return { rel: 'note', message: '', type: 'Personal', _links: { self: link(r.href(app.paths.note)) } };
}

export function renderLocation(r: RenderContext, app: Application): Json {
  return { rel: 'location', location: '', _links: { self: link(r.href(app.paths.location)) } };
}
