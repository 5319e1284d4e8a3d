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

/**
 * The message for a setting whose value is wrong, without the value: settings come from
 * the environment and from files, where a password or a key put under the wrong name (or a
 * URL after the wrong flag) would otherwise be printed, and kept by every log and cron mail.
 * The setting is named, and what it takes.
 */
export function mustBe(setting: string, expected: string): string {
  return `${setting} must be ${expected}; the value given is not (it is not shown, as it may be a secret).`;
}
