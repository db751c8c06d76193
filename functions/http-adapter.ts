import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  type ApiRequest,
  type ApiResponse,
  configurationFailure,
  MAX_BODY_BYTES,
} from '../shared/gatekeeper/http-api.js';
import { type Runtime, runtime } from '../shared/gatekeeper/runtime.js';
import { scrubError } from '../shared/scrub.js';

/** Read an HTTP trigger's request into the host-agnostic shape, refusing oversized bodies before reading them. */
async function toApiRequest(request: HttpRequest): Promise<ApiRequest> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  let body: string | undefined;
  if (declared <= MAX_BODY_BYTES) {
    const text = await request.text();
    body = Buffer.byteLength(text) <= MAX_BODY_BYTES ? text : undefined;
  }
  return {
    authorization: request.headers.get('authorization'),
    contentType: request.headers.get('content-type'),
    body,
  };
}

/** An HTTP function over a use case: configuration errors become a 500 naming the setting. */
export function httpHandler(
  useCase: (rt: Runtime, request: ApiRequest) => Promise<ApiResponse>,
  getRuntime: () => Promise<Runtime> = runtime,
) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const response = await useCase(await getRuntime(), await toApiRequest(request));
      return {
        status: response.status,
        jsonBody: response.jsonBody,
        ...(response.headers ? { headers: response.headers } : {}),
      };
    } catch (error) {
      const failure = configurationFailure(error);
      const scrubbed = scrubError(error);
      context.error(failure ? scrubbed.message : `Unhandled failure: ${scrubbed.stack}`);
      if (failure)
        return {
          status: failure.status,
          jsonBody: failure.jsonBody,
          ...(failure.headers ? { headers: failure.headers } : {}),
        };
      // The host logs it and answers 500 without a body: only the scrubbed error leaves.
      throw scrubbed;
    }
  };
}
