#!/usr/bin/env node
/**
 * cdk8s-mastodon: the command a server repository uses. This file only dispatches; each command
 * is in the file of its name.
 *   init <dir> [--domain D] [--name N] [--repo-url URL] [--package-spec SPEC] [--force] [--no-install]
 *   synth | test [--base REF] | plan | routes | secrets [--skeletons]   (inside a repository made by init)
 */
import { parseArgsOrExit, usageError } from './args';
import { die } from './common';
import { init, INIT_USAGE } from './init';
import { plan } from './plan';
import { routes } from './routes';
import { secrets, SECRETS_USAGE } from './secrets';
import { synth } from './synth';
import { test } from './test';

/** The commands without options: what each does, for its usage. */
const PLAIN: Record<string, string> = {
  synth: 'synthesizes main.ts into dist/ (left as it was when the synth fails)',
  plan: 'prints where the pods land on the nodes, after losing any one of them, and each rollout\'s room',
  routes: 'prints the tunnel\'s public routes, for the Cloudflare dashboard',
};
const plainUsage = (cmd: string) => `usage: cdk8s-mastodon ${cmd}\n${PLAIN[cmd]}\n  -h, --help  print this help`;
const indent = (text: string) => text.replace(/^/gm, '  ');
const TEST_USAGE = `usage: cdk8s-mastodon test [--base REF]
checks the config, that dist/ is fresh, that dist/ holds no unacknowledged destructive change against
the committed dist/ (docs/change-guard.md), the plan (N−1) and every object against the Kubernetes schemas
  --base REF  compare dist/ with the one at REF (e.g. origin/main on a pull request), not HEAD
  -h, --help  print this help`;

const USAGE = [
  'usage: cdk8s-mastodon <command> [options]   (cdk8s-mastodon <command> --help for one command)',
  'commands:',
  indent(INIT_USAGE),
  ...Object.keys(PLAIN).map((cmd) => indent(plainUsage(cmd))),
  indent(TEST_USAGE),
  indent(SECRETS_USAGE),
  'Every command but init runs inside a repository made by init and reads MASTODON_CONFIG, else config/server.yaml.',
].join('\n');

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'init': return init(rest);
    case 'secrets': return secrets(rest);
    case 'test': {
      const { values } = parseArgsOrExit(TEST_USAGE, { args: rest, options: { base: { type: 'string' } } });
      return test(values.base);
    }
    case 'synth': case 'plan': case 'routes':
      parseArgsOrExit(plainUsage(cmd), { args: rest, options: {} });
      return { synth, plan, routes }[cmd]();
    case undefined: return usageError(USAGE, 'name a command');
    case '--help': case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      return usageError(USAGE, cmd.startsWith('-') ? `Unknown option '${cmd}'` : `Unknown command '${cmd}'`);
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => die(String(e?.stack ?? e)));
