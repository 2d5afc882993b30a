/**
 * npm run secrets [-- --name NAME --namespace NS]: prints a Secret with fresh Mastodon keys to
 * stdout, for `| kubectl apply -f -` or a sealing tool. Nothing is written to disk.
 * Without flags, the name and namespace come from the config (MASTODON_CONFIG or the example).
 */
import { parseArgs } from 'util';
import { formatErrors, loadConfigFile } from '../lib';
import { renderMastodonSecret } from '../lib/secrets';
import { DEFAULT_CONFIG_FILE } from './paths';

const { values } = parseArgs({ options: { name: { type: 'string' }, namespace: { type: 'string' } } });
let name = values.name;
let namespace = values.namespace;
if (!name || !namespace) {
  const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
  const r = loadConfigFile(file);
  if (!r.ok) {
    process.stderr.write(`${formatErrors(file, r.errors)}\n(or pass --name and --namespace)\n`);
    process.exit(1);
  }
  name ??= r.config.mastodon.secretName;
  namespace ??= r.config.namespace;
}
process.stdout.write(renderMastodonSecret(name, namespace));
