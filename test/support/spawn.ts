import { spawnSync, SpawnSyncOptionsWithStringEncoding, SpawnSyncReturns } from 'child_process';

/** How long an npm command of the integration suite may take: a cold `npm ci` here takes about a minute. */
export const NPM_BOUND_MS = 300_000;

/**
 * Runs a command bounded in time, killed with SIGKILL at the bound: npm sometimes stalls in its
 * reify step with no I/O and ignores SIGTERM (npm/cli#4028; seen here once in `npm install` of
 * a local tarball), and spawnSync with the default SIGTERM would then wait for ever.
 */
export function spawnBounded(cmd: string, args: string[], options: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> & { timeout?: number }): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { input: '', ...options, encoding: 'utf8', killSignal: 'SIGKILL', timeout: options.timeout ?? NPM_BOUND_MS });
}

/** True when spawnBounded killed the command at its bound. */
export const timedOut = (r: SpawnSyncReturns<string>) => r.signal === 'SIGKILL' && r.error !== undefined && 'code' in r.error && r.error.code === 'ETIMEDOUT';

/** The npm commands that start over when run again, so a stalled one may be. */
const REPEATABLE = new Set(['pack', 'install', 'ci']);

/**
 * Runs an npm command bounded in time. `pack`, `install` and `ci` (which start over when run
 * again) are run once more if the first stalled past its bound, and the stall is reported on
 * stderr so it shows in the CI log; any other command, or a failure that is not a stall, is
 * returned as it is (a stalled `npm test` is our own fault, not npm's).
 */
export function npmBounded(args: string[], options: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> & { timeout?: number }): SpawnSyncReturns<string> {
  const first = spawnBounded('npm', args, options);
  if (!timedOut(first) || !REPEATABLE.has(args[0])) return first;
  process.stderr.write(`npm ${args.join(' ')} stalled for ${(options.timeout ?? NPM_BOUND_MS) / 1000} s in ${String(options.cwd)} and was killed; trying once more (npm/cli#4028)\n`);
  return spawnBounded('npm', args, options);
}
