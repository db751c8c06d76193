import type { ApiRequest } from '../../shared/app/http-api.js';

/** An ApiRequest over a body in memory, recording whether the use case read it. */
export function apiRequest(
  body: string | undefined,
  authorization?: string,
  contentType = 'application/json',
): ApiRequest & { bodyRead: () => boolean } {
  let read = false;
  return {
    authorization,
    contentType,
    readBody: async (limit) => {
      read = true;
      return body !== undefined && Buffer.byteLength(body) <= limit ? body : undefined;
    },
    bodyRead: () => read,
  };
}
