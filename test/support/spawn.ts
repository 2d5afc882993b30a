import { spawnSync, SpawnSyncOptionsWithStringEncoding, SpawnSyncReturns } from 'child_process';

/** How long an npm command of the integration suite may take: a cold `npm ci` here takes about a minute. */
export const NPM_BOUND_MS = 300_000;

/** A bounded run's result: what spawnSync returns, and whether the bound stopped it. */
export type BoundedReturns = SpawnSyncReturns<string> & { readonly timedOut: boolean };

type Options = Omit<SpawnSyncOptionsWithStringEncoding, 'encoding' | 'timeout' | 'killSignal'> & { readonly timeout?: number };

/**
 * Runs a command bounded in time under coreutils `timeout -s KILL`, which kills the command's
 * whole process group at the bound: npm sometimes stalls in its reify step with no I/O and ignores
 * SIGTERM (npm/cli#4028; seen here once in `npm install` of a local tarball), and a stalled
 * `npm pack` would leave its prepack build running beside a retry.
 */
export function spawnBounded(cmd: string, args: string[], options: Options): BoundedReturns {
  const { timeout = NPM_BOUND_MS, ...spawnOptions } = options;
  const started = Date.now();
  const r = spawnSync('timeout', ['-s', 'KILL', `${timeout / 1000}s`, cmd, ...args], { input: '', ...spawnOptions, encoding: 'utf8' });
  return { ...r, timedOut: r.signal === 'SIGKILL' && Date.now() - started >= timeout };
}

/** The npm commands that start over when run again, so a stalled one may be. */
const REPEATABLE = new Set(['pack', 'install', 'ci']);

/**
 * Runs an npm command bounded in time. `pack`, `install` and `ci` (which start over when run
 * again) are run once more if the first stalled past its bound, and the stall is reported on
 * stderr so it shows in the CI log; any other command, or a failure that is not a stall, is
 * returned as it is (a stalled `npm test` is our own fault, not npm's).
 */
export function npmBounded(args: string[], options: Options): BoundedReturns {
  const first = spawnBounded('npm', args, options);
  if (!first.timedOut || !REPEATABLE.has(args[0])) return first;
  process.stderr.write(`npm ${args.join(' ')} stalled for ${(options.timeout ?? NPM_BOUND_MS) / 1000} s in ${String(options.cwd)} and was killed; trying once more (npm/cli#4028)\n`);
  return spawnBounded('npm', args, options);
}
