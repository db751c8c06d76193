import { scrubPersonalData } from '../telemetry.js';

/** Structured logging; the host forwards it to Application Insights, so properties never hold secrets. */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

/** Log lines carry UCWA hrefs and error texts, which name people: mask them like telemetry does. */
function scrub(properties: Record<string, unknown> | undefined): Record<string, unknown> | string {
  if (!properties) return '';
  return Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [
      key,
      typeof value === 'string' ? scrubPersonalData(value) : value,
    ]),
  );
}

export const consoleLogger: Logger = {
  info: (message, properties) => console.info(scrubPersonalData(message), scrub(properties)),
  warn: (message, properties) => console.warn(scrubPersonalData(message), scrub(properties)),
  error: (message, properties) => console.error(scrubPersonalData(message), scrub(properties)),
};
