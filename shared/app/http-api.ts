import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, problem } from '../auth/inbound/problem-details.js';
import { GatekeeperRole } from '../auth/inbound/roles.js';
import { SettingsError } from '../config.js';
import { insideApplication } from '../gatekeeper/application-href.js';
import { isTransient } from '../gatekeeper/failures.js';
import { errorMessage } from '../lib/describe-error.js';
import { scrub } from '../scrub.js';
import { OriginNotAllowedError, UcwaError, UcwaSchemaError } from '../ucwa/errors.js';
import { type ChannelEvent, channelEvents } from '../ucwa/event-channel.js';
import { readEvents } from '../ucwa/parse.js';
import type { Runtime } from './runtime.js';

/** A host-agnostic HTTP answer; the function adapters turn it into an HttpResponseInit. */
export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  jsonBody: unknown;
}

export interface ApiRequest {
  authorization: string | null | undefined;
  contentType: string | null | undefined;
  /**
   * Reads the body, stopping as soon as it passes `limit` bytes (then undefined). Called only once the caller
   * is authenticated, so an anonymous sender never makes the gatekeeper read (or buffer) anything.
   */
  readBody(limit: number): Promise<string | undefined>;
}

/** UCWA event documents are small; anything bigger is not one. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Every problem detail goes through the one scrubber: error texts may hold hrefs that name people. */
function fail(status: number, detail: string, headers: Record<string, string> = {}): ApiResponse {
  return {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
    jsonBody: problem(status, scrub(detail)),
  };
}

/** Shared front door: bearer token (headers only), then a JSON body read within the size limit. */
async function admit(
  rt: Runtime,
  request: ApiRequest,
  role: string,
): Promise<{ json: unknown } | ApiResponse> {
  const verification = await rt.inbound().verify(request.authorization, { anyRole: [role] });
  if (!verification.ok) {
    const { status, headers, body } = verification.failure;
    return { status, headers, jsonBody: body };
  }
  if (!/^application\/(?:[\w.+-]*\+)?json\b/i.test(request.contentType ?? '')) {
    return fail(415, 'The body must be application/json.');
  }
  const body = await request.readBody(MAX_BODY_BYTES);
  if (body === undefined) return fail(413, `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  try {
    return { json: JSON.parse(body) as unknown };
  } catch {
    return fail(400, 'The body is not valid JSON.');
  }
}

/** Every guarded account's runtime (several accounts); by default only the one the request came in on. */
export type AccountRuntimesOf = () => Promise<Runtime[]>;

/**
 * The accounts' applications now: the runtime that holds each, as their channel state says, read side by
 * side. One account's state that cannot be read leaves that account out; when none can be, its error.
 */
async function applications(
  accountsOf: AccountRuntimesOf,
): Promise<{ held: { rt: Runtime; href: string }[]; someUnread: boolean }> {
  const reads = await Promise.allSettled(
    (await accountsOf()).map(async (rt) => ({ rt, href: (await rt.cursors.read()).state.applicationHref })),
  );
  const held = reads.flatMap((read) =>
    read.status === 'fulfilled' && read.value.href ? [{ rt: read.value.rt, href: read.value.href }] : [],
  );
  const failed = reads.find((read) => read.status === 'rejected');
  if (held.length === 0 && failed?.status === 'rejected') throw failed.reason;
  return { held, someUnread: failed !== undefined };
}

/** Not found among the accounts that could be read, while some could not: maybe theirs. */
const UNREAD = () =>
  fail(503, "An account's state cannot be read now; retry later.", { 'retry-after': '30' });

/**
 * `POST /api/ucwa/events`: a UCWA events document pushed by a relay, handled by the same code as the event
 * channel — but pushed data is never trusted for actions: every target is re-read from UCWA with our token,
 * and every href must point into the gatekeeper's own application — with several accounts, the one account
 * whose application the document's first sender is in; every other href must be in that one too.
 */
export async function receiveEvents(
  admitting: Runtime,
  request: ApiRequest,
  accountsOf: AccountRuntimesOf = async () => [admitting],
): Promise<ApiResponse> {
  const admitted = await admit(admitting, request, GatekeeperRole.EventsSend);
  if (!('json' in admitted)) return admitted;
  let events: ChannelEvent[];
  let unreadable: Error[];
  const { held, someUnread } = await applications(accountsOf);
  const [fallback] = held;
  if (!fallback) return fail(409, 'The gatekeeper has no UCWA application yet; nothing to deliver to.');
  let rt: Runtime;
  let applicationHref: string;
  try {
    const read = readEvents(admitted.json);
    const first = read.document.sender[0]?.href ?? '';
    const found = held.find(({ href }) => insideApplication(first, href) !== undefined);
    if (!found && someUnread) return UNREAD();
    ({ rt, href: applicationHref } = found ?? fallback);
    // Checked before they are resolved: a resolved href no longer shows an encoded traversal.
    const hrefs = read.document.sender.flatMap((sender) => [
      sender.href,
      ...sender.events.flatMap((event) => [event.link.href, ...(event.in ? [event.in.href] : [])]),
    ]);
    if (hrefs.some((href) => insideApplication(href, applicationHref) === undefined))
      return fail(422, "An href points outside the gatekeeper's UCWA application.");
    events = channelEvents(read.document, applicationHref);
    unreadable = read.unreadable;
  } catch (error) {
    if (error instanceof UcwaSchemaError)
      return fail(422, `Not a UCWA events document: ${error.path || 'root'} is invalid.`);
    throw error;
  }
  try {
    await rt.ucwa.useApplication(applicationHref);
    // Answered once the effects are done and their notices queued; chat delivery is the watch's and the
    // sweep's background work, so a slow chat service never holds up the relay.
    const result = await rt.gatekeeper.handleEvents(
      events,
      { trusted: false, receivedAt: rt.now().getTime() },
      unreadable,
    );
    return { status: 202, jsonBody: result };
  } catch (error) {
    if (isTransient(error) || (error instanceof UcwaError && error.applicationGone)) {
      rt.log.warn('Pushed events could not be handled now', { error: errorMessage(error) });
      return fail(503, 'UCWA or storage is unavailable; retry later.', { 'retry-after': '30' });
    }
    throw error;
  }
}

const previewBody = z.strictObject({ href: z.url().max(2048) });

/**
 * `POST /api/inspect`: what the gatekeeper sees and would decide for an invitation or participant, no side
 * effects; with several accounts, by the account whose application the href is in.
 */
export async function previewDecision(
  admitting: Runtime,
  request: ApiRequest,
  accountsOf: AccountRuntimesOf = async () => [admitting],
): Promise<ApiResponse> {
  const admitted = await admit(admitting, request, GatekeeperRole.Inspect);
  if (!('json' in admitted)) return admitted;
  const parsed = previewBody.safeParse(admitted.json);
  if (!parsed.success)
    return fail(400, 'The body must be {"href": "<absolute UCWA invitation or participant URL>"}.');
  const { held, someUnread } = await applications(accountsOf);
  const owner = held
    .map(({ rt, href: application }) => ({
      rt,
      application,
      href: insideApplication(parsed.data.href, application),
    }))
    .find(({ href }) => href !== undefined);
  if (!owner?.href) {
    if (someUnread) return UNREAD();
    return fail(422, "The href is not inside the gatekeeper's UCWA application.");
  }
  const { rt, application, href } = owner;
  try {
    await rt.ucwa.useApplication(application);
    return { status: 200, jsonBody: await rt.gatekeeper.preview(href) };
  } catch (error) {
    if (error instanceof OriginNotAllowedError) return fail(422, error.message);
    if (error instanceof UcwaError && error.action === 'target-gone')
      return fail(404, 'UCWA has no such resource (any more).');
    if (error instanceof UcwaSchemaError)
      return fail(502, `UCWA answered with an unexpected payload at ${error.path}.`);
    if (isTransient(error))
      return fail(503, 'UCWA or storage is unavailable; retry later.', { 'retry-after': '30' });
    throw error;
  }
}

/** How the function adapters report a configuration problem: 500 naming the setting, never its value. */
export function configurationFailure(error: unknown): ApiResponse | undefined {
  return error instanceof SettingsError ? fail(500, error.message) : undefined;
}
