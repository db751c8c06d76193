/** Structured logging the functions map to their InvocationContext; properties must never hold secrets. */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  info: (message, properties) => console.info(message, properties ?? ''),
  warn: (message, properties) => console.warn(message, properties ?? ''),
  error: (message, properties) => console.error(message, properties ?? ''),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
