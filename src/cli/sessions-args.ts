/**
 * The command line of `sessionkit sessions`: `list`, `revoke` and `count`, the user and the
 * session they name, and the store flags every command shares (./args.ts).
 */
import { COMMON_OPTIONS, parseOptions, STORE_HELP, storeArgs, text, flag, UsageError, type StoreArgs } from './args.js';

export const SESSIONS_HELP = `Usage: sessionkit sessions <list|revoke|count> [options]

Lists, counts and ends sessions in the store that the application's SESSION_* settings
describe (the keys fromEnv reads), for an operator or a script. A user's sessions are found
through the user index the application keeps with its userField option: SESSION_USER_FIELD
(and SESSION_KEY_PREFIX, if the application sets one) must be set as the application has them.

  sessionkit sessions list --user <id>                  a user's live sessions, most recent first
  sessionkit sessions revoke --user <id> --all          end every session of the user
  sessionkit sessions revoke --user <id> --handle <h>   end one (its handle, from list)
  sessionkit sessions count [--user <id>]               live sessions in the store, or the user's

Sessions are named by handles, never by their ids: nothing printed can be used as a cookie.

${STORE_HELP}Output:
  --json               the result as one line of JSON
  --quiet              print nothing but errors (the exit code tells the result)
  --help               this text

Exit codes: 0 done, 1 the store failed, 2 bad flags or settings, 3 revoke --handle named
no live session of the user, 130 interrupted (SIGINT/SIGTERM; count stops where it got to).
`;

export type SessionsAction = 'list' | 'revoke' | 'count';
const ACTIONS: readonly string[] = ['list', 'revoke', 'count'] satisfies SessionsAction[];

export interface SessionsArgs extends StoreArgs {
  readonly action: SessionsAction;
  readonly user: string | undefined;
  /** revoke: one session, by its handle; undefined with --all. */
  readonly handle: string | undefined;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

export function parseSessionsArgs(argv: readonly string[]): SessionsArgs {
  const [action, ...rest] = argv;
  if (action === '--help' || action === '-h' || action === undefined) return helpOnly(action === undefined);
  if (!ACTIONS.includes(action)) throw new UsageError(`unknown action '${action.slice(0, 20)}': say list, revoke or count.`, true);
  const { values } = parseOptions(rest, { ...COMMON_OPTIONS, user: text, handle: text, all: flag }, `sessions ${action}`);
  const args: SessionsArgs = {
    ...storeArgs(values),
    action: action as SessionsAction,
    user: values.user as string | undefined,
    handle: values.handle as string | undefined,
    json: values.json === true,
    quiet: values.quiet === true,
    help: values.help === true,
  };
  if (!args.help) checkTargets(args, values.all === true);
  return args;
}

function helpOnly(missing: boolean): SessionsArgs {
  if (missing) throw new UsageError('say what to do: list, revoke or count.', true);
  return { store: {}, envFile: undefined, action: 'list', user: undefined, handle: undefined, json: false, quiet: false, help: true };
}

/** Each action's user and session flags, checked before anything is opened. */
function checkTargets(args: SessionsArgs, all: boolean): void {
  const { action, user, handle } = args;
  if (user !== undefined && user.trim() === '') throw new UsageError('--user is empty: give the user id the application stores in its userField.');
  if (action !== 'count' && user === undefined) throw new UsageError(`sessions ${action} needs --user <id>: the user id the application stores in its userField.`, true);
  if (action !== 'revoke') {
    if (handle !== undefined || all) throw new UsageError(`--handle and --all go with sessions revoke, not sessions ${action}.`, true);
    return;
  }
  if (handle !== undefined && all) throw new UsageError('give --handle <h> (one session) or --all (every session of the user), not both.');
  if (handle === undefined && !all) throw new UsageError('say which sessions to end: --handle <h> (one, from sessions list) or --all.', true);
}
