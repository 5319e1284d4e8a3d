#!/usr/bin/env node
/**
 * The `sessionkit` bin: `sessionkit cleanup` (./cleanup-command.ts) and `sessionkit sessions`
 * (./sessions-command.ts). SIGINT and SIGTERM stop a command between steps; the process then
 * exits with 130.
 */
import { cleanupCommand } from './cleanup-command.js';
import { EXIT, type CommandContext } from './command.js';
import { HELP } from './args.js';
import { sessionsCommand } from './sessions-command.js';
import { SESSIONS_HELP } from './sessions-args.js';

const USAGE = `Usage: sessionkit <command> [options]

Commands:
  cleanup    remove expired sessions (sessionkit cleanup --help)
  sessions   list, count and end sessions: sessions list --user <id>, sessions revoke --user <id>
             --all, sessions count (sessionkit sessions --help)
`;

const COMMANDS: Record<string, (argv: readonly string[], context: CommandContext) => Promise<number>> = {
  cleanup: cleanupCommand,
  sessions: sessionsCommand,
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (run !== undefined && Object.hasOwn(COMMANDS, command!)) {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return run(rest, { env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n${HELP}\n${SESSIONS_HELP}`);
    return EXIT.ok;
  }
  // A command's name is repeated only when it is a plain word: a password pasted in its place would be printed.
  const named = command === undefined ? 'no command given' : /^[a-z][a-z0-9-]{0,30}$/i.test(command) ? `unknown command '${command}'` : 'unknown command (not shown)';
  process.stderr.write(`sessionkit: ${named}\n\n${USAGE}`);
  return EXIT.usage;
}

// Clients may keep sockets or timers open (gRPC channels): exit once the result is out.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sessionkit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT.storeFailed);
  },
);
