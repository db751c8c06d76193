import { RestError } from '@azure/data-tables';

/** The HTTP status of an Azure SDK error (tables and blobs throw the same RestError), if it has one. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

/** The service's error code of an Azure SDK error (`ContainerNotFound`, `ServerBusy`), if it has one. */
export function codeOf(error: unknown): string | undefined {
  return error instanceof RestError ? error.code : undefined;
}
