/** A configuration that cannot work. Thrown at start-up; the message says what to change. */
export class SessionConfigError extends Error {
  override readonly name = 'SessionConfigError';
  constructor(message: string) {
    super(`sessionkit: ${message}`);
  }
}
