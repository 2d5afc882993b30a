#!/usr/bin/env node
/**
 * cdk8s-mastodon: the command a server repository uses.
 *   init <dir> [--domain D] [--name N] [--repo-url URL] [--package-spec SPEC] [--force] [--no-install]
 *   synth | test | plan | routes | secrets [--skeletons]   (inside a repository made by init)
 */
import { parseArgs } from 'util';
import { stringify } from 'yaml';
import { CONFIG, die, lib, loadOrDie } from './common';
import { init } from './init';
import { synth } from './synth';
import { test } from './test';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'init': return init(rest);
    case 'synth': return synth();
    case 'test': return test();
    case 'plan': {
      const { formatPlan, nodesFromInventory, plan, renderManifests } = lib();
      const c = loadOrDie();
      const report = plan(renderManifests(c), nodesFromInventory(c.nodes.inventory, c.nodes.poolLabel, c.nodes.reserve));
      console.log(formatPlan(report));
      return report.ok ? 0 : 1;
    }
    case 'routes': {
      const { formatPublicRoutes } = lib();
      const c = loadOrDie();
      if (!c.tunnel) die(`${CONFIG}: no tunnel is configured; add a tunnel section (mode: local or remote)`);
      console.log(formatPublicRoutes(c));
      return 0;
    }
    case 'secrets': {
      const { renderManifests, renderMastodonSecret, secretSkeletons } = lib();
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, namespace: { type: 'string' }, skeletons: { type: 'boolean' } } });
      const c = values.skeletons || !values.name || !values.namespace ? loadOrDie() : undefined;
      if (values.skeletons && c) {
        const docs = secretSkeletons(renderManifests(c), { mastodon: c.mastodon }).map((s) => `# used by: ${s.usedBy.join(', ')}\n${stringify({
          apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: values.namespace ?? c.namespace }, type: 'Opaque',
          stringData: Object.fromEntries(s.keys.map((k) => [k, `REPLACE-with-${k}`])),
        }).trimEnd()}`);
        process.stdout.write(`${docs.join('\n---\n')}\n`);
      } else {
        process.stdout.write(renderMastodonSecret(values.name ?? c!.mastodon.secretName, values.namespace ?? c!.namespace));
      }
      return 0;
    }
    default:
      die('usage: cdk8s-mastodon init <dir> | synth | test | plan | routes | secrets [--skeletons]');
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => die(String(e?.stack ?? e)));
