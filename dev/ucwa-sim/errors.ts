import { type HeaderValue, jsonResponse, type SimResponse, textResponse } from './http-types.js';

/** ErrorCode names by HTTP status, from the ErrorCode enumeration (code is a name, not a number). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  408: 'Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'LengthRequired',
  412: 'PreconditionFailed',
  413: 'EntityTooLarge',
  415: 'UnsupportedMediaType',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
  500: 'ServiceFailure',
  502: 'ServiceFailure',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'ServiceFailure' : 'BadRequest');
}

export interface UcwaErrorBody {
  code: string;
  subcode?: string;
  message: string;
  parameters?: Record<string, string>;
}

/** A synchronous UCWA error: always JSON `{code, subcode?, message}`. */
export function ucwaError(
  status: number,
  code: string,
  subcode: string | undefined,
  message: string,
  extra: { parameters?: Record<string, string>; headers?: Record<string, HeaderValue> } = {},
): SimResponse {
  const body: UcwaErrorBody = { code, message };
  if (subcode) body.subcode = subcode;
  if (extra.parameters) body.parameters = extra.parameters;
  return jsonResponse(status, body, extra.headers ?? {});
}

export const errors = {
  resourceNotFound: (message = 'The requested resource does not exist.') =>
    ucwaError(404, 'NotFound', 'ResourceNotFound', message),
  applicationNotFound: () =>
    ucwaError(404, 'NotFound', 'ApplicationNotFound', 'The application does not exist or has been deleted.'),
  applicationExpired: () =>
    ucwaError(410, 'Gone', 'InactiveApplicationExpired', 'The application expired because it was inactive.'),
  methodNotAllowed: (allow: readonly string[]) =>
    ucwaError(405, 'MethodNotAllowed', undefined, 'The HTTP method is not supported on this resource.', {
      headers: { Allow: allow.join(', ') },
    }),
  badRequest: (subcode: string | undefined, message: string, parameters?: Record<string, string>) =>
    ucwaError(400, 'BadRequest', subcode, message, parameters ? { parameters } : {}),
  parameterValidation: (message: string, parameters: Record<string, string>) =>
    ucwaError(400, 'BadRequest', 'ParameterValidationFailure', message, { parameters }),
  deserialization: (message = 'The request body could not be parsed.') =>
    ucwaError(400, 'BadRequest', 'DeserializationFailure', message),
  unsupportedMediaType: (message: string) =>
    ucwaError(415, 'UnsupportedMediaType', 'UnsupportedMediaType', message),
  conflict: (subcode: string | undefined, message: string) => ucwaError(409, 'Conflict', subcode, message),
  forbidden: (subcode: string | undefined, message: string) => ucwaError(403, 'Forbidden', subcode, message),
};

/** What a reverse proxy in front of UCWA would answer: not JSON, so clients can tell it did not come from UCWA. */
export function proxyError(status: number, reason: string): SimResponse {
  return textResponse(
    status,
    'text/html; charset=utf-8',
    `<html><head><title>${status} ${reason}</title></head><body><h1>${status} ${reason}</h1></body></html>`,
  );
}
