/**
 * The session field that names the user (the `userField` option, a dotted path such as
 * 'passport.user'): read the same way by the user index and by cookie revocation.
 */
export class UserField {
  readonly #path: readonly string[];
  readonly #warn: (message: string) => void;
  #warnedShape = false;

  constructor(path: readonly string[], warn: (message: string) => void) {
    this.#path = path;
    this.#warn = warn;
  }

  /** The user a session's data names: a non-empty string or a finite number at the path, as text; else undefined. */
  of(data: Readonly<Record<string, unknown>>): string | undefined {
    let value: unknown = data;
    for (const part of this.#path) {
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (value !== undefined && value !== null && !this.#warnedShape) {
      this.#warnedShape = true;
      this.#warn(
        `userField "${this.#path.join('.')}" holds ${typeof value}, not a user id (a string or a number): ` +
          'such sessions are not tracked per user. With Passport, serializeUser must give an id.',
      );
    }
    return undefined;
  }
}
