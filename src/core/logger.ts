/** Where sessionkit's warnings go: an application's own logger, or the console. */
export interface Logger {
  warn(message: string): void;
  info(message: string): void;
}

/** The default logger of the engine and of every store: the console, prefixed '[sessionkit]'. */
export const consoleLogger: Logger = {
  warn: (message) => console.warn(`[sessionkit] ${message}`),
  info: (message) => console.info(`[sessionkit] ${message}`),
};
