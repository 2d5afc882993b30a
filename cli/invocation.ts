/**
 * How a command was started: as this package's own npm script (`npm run plan -- --out X`, the
 * example config, pictures under the checkout) or as `cdk8s-mastodon plan --out X` in a server
 * repository made by init (its config/server.yaml, pictures in the current folder). The commands
 * in cli/ take one of these, so scripts/ and the server repository run the same functions.
 */
import * as path from 'path';
import { describeWriteError } from '../lib/app/swap';
import { die, lib } from './common';

/** Where a command runs and what it reads and writes by default. */
export interface Invocation {
  /** `npm`: this package's npm scripts (`npm run NAME -- ARGS`); `cli`: `cdk8s-mastodon NAME ARGS`. */
  readonly style: 'npm' | 'cli';
  /** The config file the command reads. */
  readonly configFile: string;
  /** The last line of every usage: which config is read. */
  readonly configNote: string;
  /** Where `plan` writes plan.svg and plan.png without `--out` (absolute). */
  readonly planOut: string;
  /** Where `helm` writes the chart without `--out` (absolute). */
  readonly chartOut: string;
}

/** The server repository's commands: config/server.yaml, and every output in the current folder. */
export function serverInvocation(configFile: string): Invocation {
  return {
    style: 'cli', configFile,
    configNote: 'The config is MASTODON_CONFIG, else config/server.yaml.',
    planOut: process.cwd(), chartOut: path.resolve('chart'),
  };
}

/**
 * The first line of a usage: `usage: npm run NAME [-- ARGS]` or `usage: cdk8s-mastodon NAME [ARGS]`.
 * `required` arguments have no brackets around them (`netcheck -- report FILE`).
 */
export function synopsis(inv: Invocation, name: string, args = '', required = false): string {
  if (!args) return inv.style === 'npm' ? `usage: npm run ${name}` : `usage: cdk8s-mastodon ${name}`;
  if (inv.style === 'npm') return required ? `usage: npm run ${name} -- ${args}` : `usage: npm run ${name} [-- ${args}]`;
  return required ? `usage: cdk8s-mastodon ${name} ${args}` : `usage: cdk8s-mastodon ${name} [${args}]`;
}

/** The invocation's config, resolved; every problem in it on stderr and exit 1 when it is not valid. */
export function loadConfigOrExit(inv: Invocation, hint = '') {
  const { formatErrors, loadConfigFile } = lib();
  const r = loadConfigFile(inv.configFile);
  if (!r.ok) die(`${formatErrors(inv.configFile, r.errors)}${hint}`);
  return r.config;
}

/** An SVG picture rendered to PNG, 1400 px wide on white. */
export function png(svg: string): Buffer {
  const { Resvg } = lib();
  return new Resvg(svg, { background: '#ffffff', fitTo: { mode: 'width', value: 1400 } }).render().asPng();
}

/** A path as the user should read it: relative to the current folder. */
export const shown = (p: string) => path.relative(process.cwd(), p) || '.';

/** A command of the toolbelt: its arguments and where it runs in, its exit code out. */
export type Tool = (args: string[], inv: Invocation) => number;

/**
 * Runs a tool; a folder it cannot write (full disk, read-only, a file in the way) is one line
 * naming the path and exit 1, not a stack trace. Anything else thrown is a defect and goes on.
 */
export function runTool(tool: Tool, args: string[], inv: Invocation): number {
  try {
    return tool(args, inv);
  } catch (e) {
    const line = describeWriteError(e);
    if (line) die(line);
    throw e;
  }
}
