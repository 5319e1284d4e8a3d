/**
 * Finding server binaries and node packages, and deciding what to do when one is missing.
 * Free of vitest imports, so the server modules also work in scripts and vitest globalSetup.
 *
 * - `findBinary(name, candidates)`: a path or undefined.
 * - `binary(...)` / `nodePackage(...)`: a {@link Requirement} with an install hint; every server
 *   module exports its list (REDIS_REQUIRES, POSTGRES_REQUIRES ...).
 * - `checkRequirements(suite, requires)`: when something is missing, prints a loud
 *   "SKIPPED <suite> suite: ... Install it with: ..." line to stderr and returns
 *   `{ available: false }` — or throws when SESSIONKIT_REQUIRE_SERVICES=1 (set in CI), so CI
 *   cannot go green with a skipped suite.
 * - `requirePath(requirement)`: the path, or an error carrying the install hint (used by start*()).
 *
 * Test files normally use `describeWithServer` from ./suite.ts, which builds on this.
 */
import { accessSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Something a suite needs: a binary, a node package ... */
export interface Requirement {
  /** e.g. "redis-server" */
  name: string;
  /** The path when present. */
  find(): string | undefined;
  /** e.g. "apt-get install -y redis-server" */
  install: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Path of an executable: the first of `candidates` (absolute paths) that exists, else `name`
 * looked up in $PATH (plus the sbin dirs, which root's $PATH may lack). undefined when missing.
 */
export function findBinary(name: string, candidates: string[] = []): string | undefined {
  for (const candidate of candidates) if (isExecutable(candidate)) return candidate;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/** `/usr/lib/postgresql/<version>/bin/<name>` for every installed version, newest first. */
export function postgresBinCandidates(name: string): string[] {
  let versions: string[];
  try {
    versions = readdirSync('/usr/lib/postgresql');
  } catch {
    return [];
  }
  return versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => `/usr/lib/postgresql/${v}/bin/${name}`);
}

/** A binary requirement. */
export function binary(name: string, install: string, candidates: string[] = []): Requirement {
  return { name, install, find: () => findBinary(name, candidates) };
}

/** A node package requirement (resolved from this project's node_modules). */
export function nodePackage(name: string, entry = name, install = `npm install -D ${name}`): Requirement {
  return {
    name,
    install,
    find: () => {
      try {
        return createRequire(import.meta.url).resolve(entry);
      } catch {
        return undefined;
      }
    },
  };
}

/** Thrown when a server is started whose binary is missing. */
export class MissingRequirementError extends Error {
  constructor(readonly requirement: Requirement) {
    super(`${requirement.name} not found. Install it with: ${requirement.install}`);
    this.name = 'MissingRequirementError';
  }
}

/** The path of a requirement, or a {@link MissingRequirementError} telling how to install it. */
export function requirePath(requirement: Requirement): string {
  const found = requirement.find();
  if (!found) throw new MissingRequirementError(requirement);
  return found;
}

export type Availability = { available: true } | { available: false; reason: string };

/**
 * Checks the requirements of a suite. Missing ones: with SESSIONKIT_REQUIRE_SERVICES=1 throws;
 * otherwise prints a loud "SKIPPED ..." line to stderr and returns `{ available: false }`.
 */
export function checkRequirements(suite: string, requires: readonly Requirement[]): Availability {
  const missing = requires.filter((r) => !r.find());
  if (missing.length === 0) return { available: true };
  const reason = missing.map((r) => `${r.name} not found. Install it with: ${r.install}`).join('; ');
  if (process.env.SESSIONKIT_REQUIRE_SERVICES === '1') {
    throw new Error(`${suite} suite cannot run (SESSIONKIT_REQUIRE_SERVICES=1): ${reason}`);
  }
  process.stderr.write(`\n!!!!! SKIPPED ${suite} suite: ${reason} !!!!!\n\n`);
  return { available: false, reason };
}
