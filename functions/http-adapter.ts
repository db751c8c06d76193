import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { accountRuntimes, runtime } from '../shared/app/account-runtimes.js';
import {
  type AccountRuntimesOf,
  type ApiRequest,
  type ApiResponse,
  configurationFailure,
} from '../shared/app/http-api.js';
import type { Runtime } from '../shared/app/runtime.js';
import { scrubError } from '../shared/scrub.js';

/**
 * The body, read chunk by chunk: undefined as soon as it passes `limit` bytes (a declared Content-Length
 * already says so), and the rest is never read. With HTTP streams on (functions/index.ts) the host hands the
 * request over unread, so a chunked body without a length stops here too.
 */
export async function readLimited(request: HttpRequest, limit: number): Promise<string | undefined> {
  if (Number(request.headers.get('content-length')) > limit) return undefined;
  const reader = request.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || !value) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The host-agnostic request: headers now, the body only when the use case asks for it (after auth). */
function toApiRequest(request: HttpRequest): ApiRequest {
  return {
    authorization: request.headers.get('authorization'),
    contentType: request.headers.get('content-type'),
    readBody: (limit) => readLimited(request, limit),
  };
}

/** Every account whose runtime can be built (one that cannot is left out here; its jobs report it). */
export const everyAccount: AccountRuntimesOf = async () => {
  const runtimes = accountRuntimes();
  const built = await Promise.allSettled(runtimes.accounts().accounts.map((a) => runtimes.runtimeOf(a)));
  return built.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
};

/**
 * An HTTP function over a use case: configuration errors become a 500 naming the setting. The first
 * account's runtime admits the request (the inbound settings are the deployment's); `accountsOf` gives the
 * use case every account, to find the one a request is about.
 */
export function httpHandler(
  useCase: (rt: Runtime, request: ApiRequest, accountsOf?: AccountRuntimesOf) => Promise<ApiResponse>,
  getRuntime: () => Promise<Runtime> = runtime,
  accountsOf?: AccountRuntimesOf,
) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const rt = await getRuntime();
      const response = await useCase(rt, toApiRequest(request), accountsOf);
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
