#!/usr/bin/env node
/**
 * The `sessionkit` bin. One command so far: `sessionkit cleanup` (./cleanup-command.ts).
 * SIGINT and SIGTERM stop a cleanup between batches; the process then exits with 130.
 */
import { cleanupCommand, EXIT } from './cleanup-command.js';
import { HELP } from './args.js';

const USAGE = `Usage: sessionkit <command> [options]

Commands:
  cleanup   remove expired sessions (sessionkit cleanup --help)
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'cleanup') {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return cleanupCommand(rest, { env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n${HELP}`);
    return EXIT.ok;
  }
  process.stderr.write(`sessionkit: ${command === undefined ? 'no command given' : `unknown command '${command}'`}\n\n${USAGE}`);
  return EXIT.usage;
}

// Clients may keep sockets or timers open (gRPC channels): exit once the summary is out.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sessionkit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT.storeFailed);
  },
);
