import { RestError } from '@azure/data-tables';

/** The HTTP status of an Azure SDK error (tables and blobs throw the same RestError), if it has one. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}
