/**
 * The command line of every cdk8s-mastodon command and of the npm scripts: node's own parseArgs,
 * plus `--help` (the usage on stdout, exit 0) and bad input (one line naming the problem, then the
 * usage, on stderr, exit 2), never a stack trace.
 */
import { parseArgs, ParseArgsConfig } from 'util';

/** Prints `problem` and the usage on stderr and exits 2, as for an unknown option. */
export function usageError(usage: string, problem: string): never {
  process.stderr.write(`${problem}\n${usage}\n`);
  process.exit(2);
}

/**
 * `parseArgs(config)` with `--help` / `-h` added: the usage and exit 0 when asked, the parser's
 * one-line message and the usage and exit 2 when it refuses.
 */
export function parseArgsOrExit<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) usageError(usage, (e as Error).message);
    throw e;
  }
}
