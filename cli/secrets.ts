import { stringify } from 'yaml';
import { parseArgsOrExit, usageError } from './args';
import { lib } from './common';
import { Invocation, loadConfigOrExit, synopsis } from './invocation';

/** What `secrets --help` prints. */
export const secretsUsage = (inv: Invocation) => `${synopsis(inv, 'secrets', '--name NAME --namespace NS | --skeletons [--omit NAME]...')}
Prints a Secret with fresh Mastodon keys on stdout, for | kubectl apply -f - (nothing is written to disk).
  --name NAME     the Secret's name (default: the config's mastodon.secretName)
  --namespace NS  its namespace (default: the config's namespace)
  --skeletons     instead, a placeholder for every other Secret the manifests read
  --omit NAME     with --skeletons: leave out a Secret you already created (repeat for several)
  -h, --help      print this help
${inv.configNote}`;

/**
 * secrets: a ready-to-apply Mastodon Secret with fresh values on stdout (named by `--name` and
 * `--namespace`, else by the config), or with `--skeletons` a placeholder Secret for each Secret
 * the manifests reference, with exactly the keys they read.
 */
export function secrets(args: string[], inv: Invocation): number {
  const { values } = parseArgsOrExit(secretsUsage(inv), { args, options: { name: { type: 'string' }, namespace: { type: 'string' }, skeletons: { type: 'boolean' }, omit: { type: 'string', multiple: true } } });
  const { renderManifests, renderMastodonSecret, secretSkeletons } = lib();
  if (values.skeletons) {
    const c = loadConfigOrExit(inv);
    const all = secretSkeletons(renderManifests(c), { mastodon: c.mastodon });
    const omit = values.omit ?? [];
    for (const n of omit) {
      if (!all.some((s) => s.name === n)) usageError(secretsUsage(inv), `--omit ${n}: no such Secret among the skeletons (${all.map((s) => s.name).join(', ')})`);
    }
    const docs = all.filter((s) => !omit.includes(s.name)).map((s) => `# used by: ${s.usedBy.join(', ')}\n${stringify({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: values.namespace ?? c.namespace }, type: 'Opaque',
      stringData: Object.fromEntries(s.keys.map((k) => [k, `REPLACE-with-${k}`])),
    }).trimEnd()}`);
    process.stdout.write(`# Fill in every REPLACE value, then: kubectl apply -f <this file>. Keep the file out of git.\n${docs.join('\n---\n')}\n`);
    return 0;
  }
  const c = values.name && values.namespace ? undefined : loadConfigOrExit(inv, '\n(or pass --name and --namespace)');
  process.stdout.write(renderMastodonSecret(values.name ?? c!.mastodon.secretName, values.namespace ?? c!.namespace));
  return 0;
}
