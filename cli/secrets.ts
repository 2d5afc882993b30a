import { parseArgs } from 'util';
import { stringify } from 'yaml';
import { lib, loadOrDie } from './common';

/**
 * secrets: a ready-to-apply Mastodon Secret with fresh values on stdout (named by `--name` and
 * `--namespace`, else by the config), or with `--skeletons` a placeholder Secret for each Secret
 * the manifests reference.
 */
export function secrets(args: string[]): number {
  const { renderManifests, renderMastodonSecret, secretSkeletons } = lib();
  const { values } = parseArgs({ args, options: { name: { type: 'string' }, namespace: { type: 'string' }, skeletons: { type: 'boolean' } } });
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
