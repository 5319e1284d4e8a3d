/** A configuration that cannot work. Thrown at start-up; the message says what to change. */
export class SessionConfigError extends Error {
  override readonly name = 'SessionConfigError';
  constructor(message: string) {
    super(`sessionkit: ${message}`);
  }
}

/** A value as an error message shows it: text as it is, anything else as JSON (never "[object Object]"). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}
