import { stringify } from 'yaml';
import { parseArgsOrExit } from './args';
import { lib, loadOrDie } from './common';

/** What `cdk8s-mastodon secrets --help` prints. */
export const SECRETS_USAGE = `usage: cdk8s-mastodon secrets [--name NAME --namespace NS | --skeletons]
  --name NAME     the Secret's name (default: the config's mastodon.secretName)
  --namespace NS  its namespace (default: the config's namespace)
  --skeletons     instead, a placeholder for every other Secret the manifests read
  -h, --help      print this help`;

/**
 * secrets: a ready-to-apply Mastodon Secret with fresh values on stdout (named by `--name` and
 * `--namespace`, else by the config), or with `--skeletons` a placeholder Secret for each Secret
 * the manifests reference.
 */
export function secrets(args: string[]): number {
  const { values } = parseArgsOrExit(SECRETS_USAGE, { args, options: { name: { type: 'string' }, namespace: { type: 'string' }, skeletons: { type: 'boolean' } } });
  const { renderManifests, renderMastodonSecret, secretSkeletons } = lib();
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
