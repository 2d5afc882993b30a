/**
 * What the commands share: the config file they read, how they stop with a message, and the
 * library, which only the commands that use it load.
 */
import * as path from 'path';
import type * as Library from './library';

/** The server's config file: MASTODON_CONFIG, else config/server.yaml. */
export const CONFIG = process.env.MASTODON_CONFIG || path.join('config', 'server.yaml');

/** Prints `message` to stderr and exits 1. */
export function die(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** The library, loaded by the commands that use it (see cli/library.ts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see cli/library.ts
export const lib = (): typeof Library => require('./library');
