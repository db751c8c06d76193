import { scrub, scrubDeep } from '../scrub.js';

/** Structured logging; the host forwards it to Application Insights, so properties never hold secrets. */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

/** Log lines carry UCWA hrefs and error texts, which name people: every line through the one scrubber. */
export function scrubbingLogger(inner: Logger): Logger {
  const pass = (level: keyof Logger) => (message: string, properties?: Record<string, unknown>) =>
    properties ? inner[level](scrub(message), scrubDeep(properties)) : inner[level](scrub(message));
  return { info: pass('info'), warn: pass('warn'), error: pass('error') };
}

export const consoleLogger: Logger = scrubbingLogger({
  info: (message, properties) => console.info(message, properties ?? ''),
  warn: (message, properties) => console.warn(message, properties ?? ''),
  error: (message, properties) => console.error(message, properties ?? ''),
});

/** Every line with the same properties added (the account it is about). */
export function withFields(inner: Logger, added: Record<string, unknown>): Logger {
  const pass = (level: keyof Logger) => (message: string, properties?: Record<string, unknown>) =>
    inner[level](message, { ...properties, ...added });
  return { info: pass('info'), warn: pass('warn'), error: pass('error') };
}
