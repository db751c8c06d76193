import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

/** Error codes Azure Storage uses for these statuses (Table and Blob service). */
const CODES: Record<number, string> = {
  400: 'InvalidInput',
  403: 'AuthenticationFailed',
  404: 'ResourceNotFound',
  408: 'OperationTimedOut',
  409: 'Conflict',
  412: 'UpdateConditionNotSatisfied',
  413: 'RequestBodyTooLarge',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServerBusy',
};

export interface StorageErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An error answer as the storage service would send it: OData JSON when the client accepts JSON (Tables),
 * otherwise the XML `<Error>` document (Blob), and the code in `x-ms-error-code`, which the SDKs read first.
 */
export function storageError(
  status: number,
  accept: string | undefined,
  options: { code?: string; retryAfterMs?: number } = {},
): StorageErrorResponse {
  const code = options.code ?? CODES[status] ?? (STATUS_CODES[status] ?? 'Error').replace(/\W/g, '');
  const requestId = randomUUID();
  const message = `Injected fault: ${status} ${code}.\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  const headers: Record<string, string> = {
    'x-ms-error-code': code,
    'x-ms-request-id': requestId,
    'x-ms-version': '2019-02-02',
  };
  if (options.retryAfterMs !== undefined && (status === 429 || status === 503)) {
    headers['x-ms-retry-after-ms'] = String(options.retryAfterMs);
    headers['retry-after'] = String(Math.ceil(options.retryAfterMs / 1000));
  }
  if (accept?.includes('json')) {
    headers['content-type'] = 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8';
    const body = JSON.stringify({ 'odata.error': { code, message: { lang: 'en-US', value: message } } });
    return { status, headers, body };
  }
  headers['content-type'] = 'application/xml';
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escaped}</Message></Error>`;
  return { status, headers, body };
}
