/**
 * npm run k3s-config [-- --out DIR]: writes /etc/rancher/k3s/config.yaml (and the flannel
 * net-conf when the overlay MTU must be explicit) for every node of the inventory, from
 * MASTODON_CONFIG or the bundled example, into DIR/<node>/ (default k3s-config/).
 */
import * as fs from 'fs';
import * as path from 'path';
import { formatErrors, loadConfigFile } from '../lib';
import { parseArgsOrExit } from '../cli/args';
import { DEFAULT_CONFIG_FILE } from './paths';
import { k3sNodeConfigs, K3S_CONFIG_PATH, FLANNEL_CONF_PATH, TOKEN_FILE } from '../lib/rules/k3s';

const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
const USAGE = `usage: npm run k3s-config [-- --out DIR]
  --out DIR   write DIR/<node>/config.yaml for every node (default: k3s-config/)
  -h, --help  print this help
The config is MASTODON_CONFIG, else config/example.yaml.`;
const { values } = parseArgsOrExit(USAGE, { options: { out: { type: 'string' } } });
const out = path.resolve(values.out ?? 'k3s-config');
const loaded = loadConfigFile(file);
if (!loaded.ok) {
  process.stderr.write(`${formatErrors(file, loaded.errors)}\n`);
  process.exit(1);
}
const c = loaded.config;
const r = k3sNodeConfigs(c.nodes.inventory, { version: c.k3s?.version, datastore: c.k3s?.datastore, flannelBackend: c.k3s?.flannelBackend ?? 'vxlan', clusterCidr: c.k3s?.clusterCidr ?? '10.42.0.0/16' }, c.nodes.poolLabel);
if (r.problems.length > 0) {
  process.stderr.write(`${file}: npm run k3s-config needs:\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
for (const f of r.files) {
  const dir = path.join(out, f.node);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.yaml'), f.configYaml);
  if (f.flannelConf) fs.writeFileSync(path.join(dir, 'flannel-net-conf.json'), f.flannelConf);
}
const rel = path.relative(process.cwd(), out) || '.';
console.log(r.notes.map((n) => `note: ${n}`).join('\n'));
console.log(`\nwrote ${rel}/<node>/config.yaml${r.overlayMtu ? ' and flannel-net-conf.json' : ''} for ${r.files.map((f) => f.node).join(', ')}.`);
console.log(`On each node: copy config.yaml to ${K3S_CONFIG_PATH}${r.overlayMtu ? ` and flannel-net-conf.json to ${FLANNEL_CONF_PATH}` : ''}, put the cluster token in ${TOKEN_FILE} (mode 0600), then restart k3s (servers first, then agents):`);
console.log(`  sudo systemctl restart k3s        # servers\n  sudo systemctl restart k3s-agent  # agents`);
console.log('Then restart the pods so they pick up the new MTU: npm run netcheck -- restarts prints the commands.');
