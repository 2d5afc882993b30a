/**
 * npm run secrets [-- --name NAME --namespace NS]: prints a Secret with fresh Mastodon keys to
 * stdout, for `| kubectl apply -f -` or a sealing tool. Nothing is written to disk.
 * Without flags, the name and namespace come from the config (MASTODON_CONFIG or the example).
 *
 * npm run secrets -- --skeletons: prints every other Secret the manifests of the config read
 * (S3, SMTP, tunnel, database…), with exactly the keys they read and REPLACE placeholders, to
 * fill in and apply.
 */
import { stringify } from 'yaml';
import { formatErrors, loadConfigFile } from '../lib';
import { renderMastodonSecret } from '../lib/app/secrets';
import { parseArgsOrExit } from '../cli/args';
import { DEFAULT_CONFIG_FILE } from './paths';
import { renderManifests } from '../lib/app/render';
import { secretSkeletons } from '../lib/rules/secret-refs';

const USAGE = `usage: npm run secrets [-- --name NAME --namespace NS | --skeletons]
  --name NAME       the Secret's name (default: the config's mastodon.secretName)
  --namespace NS    its namespace (default: the config's namespace)
  --skeletons       instead, a placeholder for every other Secret the manifests read
  -h, --help        print this help
The config is MASTODON_CONFIG, else config/example.yaml.`;
const { values } = parseArgsOrExit(USAGE, { options: { name: { type: 'string' }, namespace: { type: 'string' }, skeletons: { type: 'boolean' } } });
let name = values.name;
let namespace = values.namespace;
const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
const load = () => {
  const r = loadConfigFile(file);
  if (!r.ok) {
    process.stderr.write(`${formatErrors(file, r.errors)}\n${values.skeletons ? '' : '(or pass --name and --namespace)\n'}`);
    process.exit(1);
  }
  return r.config;
};
if (values.skeletons) {
  const config = load();
  const docs = secretSkeletons(renderManifests(config), { mastodon: config.mastodon }).map((s) => [
    `# used by: ${s.usedBy.join(', ')}`,
    stringify({
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: s.name, namespace: values.namespace ?? config.namespace },
      type: 'Opaque',
      stringData: Object.fromEntries(s.keys.map((k) => [k, `REPLACE-with-${k}`])),
    }).trimEnd(),
  ].join('\n'));
  process.stdout.write(`# Fill in every REPLACE value, then: kubectl apply -f <this file>. Keep the file out of git.\n${docs.join('\n---\n')}\n`);
} else {
  if (!name || !namespace) {
    const config = load();
    name ??= config.mastodon.secretName;
    namespace ??= config.namespace;
  }
  process.stdout.write(renderMastodonSecret(name, namespace));
}
