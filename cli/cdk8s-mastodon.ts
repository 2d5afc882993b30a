#!/usr/bin/env node
/**
 * cdk8s-mastodon: the command a server repository uses. This file only dispatches; each command
 * is in the file of its name.
 *   init <dir> [--domain D] [--name N] [--repo-url URL] [--package-spec SPEC] [--force] [--no-install]
 *   synth | test | plan | routes | secrets [--skeletons]   (inside a repository made by init)
 */
import { die } from './common';
import { init } from './init';
import { plan } from './plan';
import { routes } from './routes';
import { secrets } from './secrets';
import { synth } from './synth';
import { test } from './test';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'init': return init(rest);
    case 'synth': return synth();
    case 'test': return test();
    case 'plan': return plan();
    case 'routes': return routes();
    case 'secrets': return secrets(rest);
    default:
      die('usage: cdk8s-mastodon init <dir> | synth | test | plan | routes | secrets [--skeletons]');
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => die(String(e?.stack ?? e)));
