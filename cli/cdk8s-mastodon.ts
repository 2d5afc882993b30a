#!/usr/bin/env node
/**
 * cdk8s-mastodon: the command a server repository uses. This file only dispatches; each command
 * is in the file of its name, and this package's npm scripts (scripts/) call the same functions.
 *   init <dir> [--domain D] [--name N] [--repo-url URL] [--package-spec SPEC] [--force] [--no-install]
 *   synth | test [--base REF] | plan | budget | routes | secrets | netcheck | k3s-config | helm   (inside a repository made by init)
 */
import { parseArgsOrExit, usageError } from './args';
import { budget, budgetUsage } from './budget';
import { CONFIG, die } from './common';
import { helm, helmUsage } from './helm';
import { init, INIT_USAGE } from './init';
import { Invocation, runTool, serverInvocation, Tool } from './invocation';
import { k3sConfig, k3sConfigUsage } from './k3s-config';
import { netcheck, netcheckUsage } from './netcheck';
import { plan, planUsage } from './plan';
import { routes, routesUsage } from './routes';
import { secrets, secretsUsage } from './secrets';
import { synth } from './synth';
import { test } from './test';

/** The commands without options: what each does, for its usage. */
const PLAIN: Record<string, string> = {
  synth: 'synthesizes main.ts into dist/ (left as it was when the synth fails)',
};
const plainUsage = (cmd: string) => `usage: cdk8s-mastodon ${cmd}\n${PLAIN[cmd]}\n  -h, --help  print this help`;
const indent = (text: string) => text.replace(/^/gm, '  ');
const TEST_USAGE = `usage: cdk8s-mastodon test [--base REF]
checks the config, that dist/ is fresh, that dist/ holds no unacknowledged destructive change against
the committed dist/ (docs/change-guard.md), the plan (N−1) and every object against the Kubernetes schemas
  --base REF  compare dist/ with the one at REF (e.g. origin/main on a pull request), not HEAD
  -h, --help  print this help`;

/** The commands that read the config, each with its usage: the same functions as this package's npm scripts. */
const TOOLS: Record<string, { run: Tool; usage: (inv: Invocation) => string }> = {
  'plan': { run: plan, usage: planUsage },
  'budget': { run: budget, usage: budgetUsage },
  'routes': { run: routes, usage: routesUsage },
  'secrets': { run: secrets, usage: secretsUsage },
  'netcheck': { run: netcheck, usage: netcheckUsage },
  'k3s-config': { run: k3sConfig, usage: k3sConfigUsage },
  'helm': { run: helm, usage: helmUsage },
};

function usage(inv: Invocation): string {
  return [
    'usage: cdk8s-mastodon <command> [options]   (cdk8s-mastodon <command> --help for one command)',
    'commands:',
    indent(INIT_USAGE),
    ...Object.keys(PLAIN).map((cmd) => indent(plainUsage(cmd))),
    indent(TEST_USAGE),
    ...Object.values(TOOLS).map((t) => indent(t.usage(inv).split('\n').filter((l) => !l.startsWith('The config is')).join('\n'))),
    'Every command but init runs inside a repository made by init and reads MASTODON_CONFIG, else config/server.yaml.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const inv = serverInvocation(CONFIG);
  switch (cmd) {
    case 'init': return init(rest);
    case 'synth':
      parseArgsOrExit(plainUsage(cmd), { args: rest, options: {} });
      return synth();
    case 'test': {
      const { values } = parseArgsOrExit(TEST_USAGE, { args: rest, options: { base: { type: 'string' } } });
      return test(values.base);
    }
    case undefined: return usageError(usage(inv), 'name a command');
    case '--help': case '-h':
      process.stdout.write(`${usage(inv)}\n`);
      return 0;
    default:
      if (Object.hasOwn(TOOLS, cmd)) return runTool(TOOLS[cmd].run, rest, inv);
      return usageError(usage(inv), cmd.startsWith('-') ? `Unknown option '${cmd}'` : `Unknown command '${cmd}'`);
  }
}

/** The last resort: one line naming what failed, never a stack trace. */
export function unexpectedErrorLine(e: unknown): string {
  const what = (e instanceof Error ? `${e.message}${(e as NodeJS.ErrnoException).code ? ` (${(e as NodeJS.ErrnoException).code})` : ''}` : String(e)).replace(/\s*\n\s*/g, ' ');
  return `cdk8s-mastodon: ${what}; if the input looks right, report it at https://github.com/cdk8s-mastodon/cdk8s-mastodon/issues`;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => die(unexpectedErrorLine(e)));
