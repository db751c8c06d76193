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

/** A synchronous UCWA error: always JSON `{code, subcode?, message}`; no subcode or parameters, no key. */
export function ucwaError(
  status: number,
  { code, subcode, message, parameters }: UcwaErrorParts,
  headers: Record<string, HeaderValue> = {},
): SimResponse {
  const body: UcwaErrorBody = { code, message };
  if (subcode) body.subcode = subcode;
  if (parameters) body.parameters = parameters;
  return jsonResponse(status, body, headers);
}

/** A caller's subcode or parameters may be undefined: then the body has none. */
interface UcwaErrorParts {
  code: string;
  subcode?: string | undefined;
  message: string;
  parameters?: Record<string, string> | undefined;
}

export const errors = {
  resourceNotFound: (message = 'The requested resource does not exist.') =>
    ucwaError(404, { code: 'NotFound', subcode: 'ResourceNotFound', message }),
  applicationNotFound: () =>
    ucwaError(404, {
      code: 'NotFound',
      subcode: 'ApplicationNotFound',
      message: 'The application does not exist or has been deleted.',
    }),
  applicationExpired: () =>
    ucwaError(410, {
      code: 'Gone',
      subcode: 'InactiveApplicationExpired',
      message: 'The application expired because it was inactive.',
    }),
  methodNotAllowed: (allow: readonly string[]) =>
    ucwaError(
      405,
      { code: 'MethodNotAllowed', message: 'The HTTP method is not supported on this resource.' },
      { Allow: allow.join(', ') },
    ),
  badRequest: (subcode: string | undefined, message: string, parameters?: Record<string, string>) =>
    ucwaError(400, { code: 'BadRequest', subcode, message, parameters }),
  parameterValidation: (message: string, parameters: Record<string, string>) =>
    ucwaError(400, { code: 'BadRequest', subcode: 'ParameterValidationFailure', message, parameters }),
  deserialization: (message = 'The request body could not be parsed.') =>
    ucwaError(400, { code: 'BadRequest', subcode: 'DeserializationFailure', message }),
  unsupportedMediaType: (message: string) =>
    ucwaError(415, { code: 'UnsupportedMediaType', subcode: 'UnsupportedMediaType', message }),
  conflict: (subcode: string | undefined, message: string) =>
    ucwaError(409, { code: 'Conflict', subcode, message }),
  forbidden: (subcode: string | undefined, message: string) =>
    ucwaError(403, { code: 'Forbidden', subcode, message }),
};

/** What a reverse proxy in front of UCWA would answer: not JSON, so clients can tell it did not come from UCWA. */
export function proxyError(status: number, reason: string): SimResponse {
  return textResponse(
    status,
    'text/html; charset=utf-8',
    `<html><head><title>${status} ${reason}</title></head><body><h1>${status} ${reason}</h1></body></html>`,
  );
}
