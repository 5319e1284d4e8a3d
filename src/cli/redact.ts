/**
 * `sessionkit cleanup` never prints a credential: cron mail and CI logs keep what it prints.
 *
 * Its own messages are written not to repeat a value that may hold one: they name the flag
 * or setting and what was expected (./args.ts, ./clients.ts, ../config/flask-config.ts).
 * This is the net under them, for the text nobody here writes (the messages of database
 * drivers and SDKs): every line the command prints goes through `Redactor.redact`, which
 * blanks out each credential the command was given, in whatever shape it was given.
 */

/** What stands in for a credential in printed text. */
export const REDACTED = '***';

/**
 * Shorter candidates are not blanked out: they would take ordinary words out of the text,
 * and no message is known to print them.
 */
const MIN_LENGTH = 4;

/** Environment variables whose whole value is a secret, by name. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY/i;

/** Settings of sessionkit's that hold a signing key or a cloud credential. */
const SECRET_SETTINGS = new Set(['SECRET_KEY', 'SECRET_KEY_FALLBACKS', 'SESSION_SECRET', 'SESSION_DYNAMODB_SECRET', 'SESSION_DYNAMODB_KEY_ID']);

export class Redactor {
  readonly #secrets = new Set<string>();

  /**
   * The credentials in the command line: the user information of every value shaped like
   * a URL (`--url`, but also a URL put after another flag or on its own by mistake).
   */
  addArguments(argv: readonly string[]): this {
    for (const argument of argv) this.#addUserInfo(argument);
    return this;
  }

  /** The credentials in an environment: secret settings whole (each of a list), user information in any value. */
  addEnvironment(env: Readonly<Record<string, string | undefined>>): this {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) continue;
      if (SECRET_SETTINGS.has(name) || SECRET_NAME.test(name)) {
        this.#add(value);
        for (const part of value.split(',')) this.#add(part.trim());
      }
      this.#addUserInfo(value);
    }
    return this;
  }

  /** `text` with every known credential replaced by `***`. */
  redact(text: string): string {
    let redacted = text;
    // Longest first, so that a password is not half replaced through a shorter one inside it.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) redacted = redacted.split(secret).join(REDACTED);
    return redacted;
  }

  /**
   * `scheme://user:password@host…`, or the same without a scheme (a typo), or after
   * `--flag=`: the password is whatever lies between the first `:` and an `@`, whatever
   * characters it holds (`/`, `@`, `:` and `%` included, encoded or not). Every `@` is taken
   * as a possible end, so that one in the password or in the query cannot hide it. Each
   * candidate is blanked out as written and percent-decoded.
   */
  #addUserInfo(value: string): void {
    const unflagged = value.replace(/^--?[a-z-]+=/i, '');
    const rest = unflagged.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    for (let at = rest.indexOf('@'); at >= 0; at = rest.indexOf('@', at + 1)) {
      const userInfo = rest.slice(0, at);
      const colon = userInfo.indexOf(':');
      // A user name alone is no secret (and blanking 'postgres' out would blank the store's name).
      if (colon < 0) continue;
      for (const candidate of [userInfo, userInfo.slice(colon + 1)]) {
        this.#add(candidate);
        this.#add(decoded(candidate));
      }
    }
  }

  #add(candidate: string | undefined): void {
    if (candidate !== undefined && candidate.length >= MIN_LENGTH) this.#secrets.add(candidate);
  }
}

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // a lone '%': the text as written is blanked out already
  }
}
