import * as fs from 'fs';
import * as path from 'path';
import { parseArgsOrExit } from './args';
import { die, lib } from './common';
import { Invocation, loadConfigOrExit, shown, synopsis } from './invocation';

/** What `k3s-config --help` prints. */
export const k3sConfigUsage = (inv: Invocation) => `${synopsis(inv, 'k3s-config', '--out DIR')}
Writes /etc/rancher/k3s/config.yaml (and the flannel net-conf when the overlay MTU must be
explicit) for every node of the inventory, into DIR/<node>/, to copy onto each node.
  --out DIR   write DIR/<node>/config.yaml for every node (default: k3s-config/)
  -h, --help  print this help
${inv.configNote}`;

/** k3s-config: each node's k3s config file, and what to do with it on the node. */
export function k3sConfig(args: string[], inv: Invocation): number {
  const { values } = parseArgsOrExit(k3sConfigUsage(inv), { args, options: { out: { type: 'string' } } });
  const out = path.resolve(values.out ?? 'k3s-config');
  const { k3sNodeConfigs, K3S_CONFIG_PATH, FLANNEL_CONF_PATH, TOKEN_FILE } = lib();
  const c = loadConfigOrExit(inv);
  const r = k3sNodeConfigs(c.nodes.inventory, { version: c.k3s?.version, datastore: c.k3s?.datastore, bootstrapped: c.k3s?.bootstrapped, reserve: c.nodes.reserve, flannelBackend: c.k3s?.flannelBackend ?? 'vxlan', clusterCidr: c.k3s?.clusterCidr ?? '10.42.0.0/16' }, c.nodes.poolLabel);
  if (r.problems.length > 0) die(`${inv.configFile}: k3s-config needs:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  for (const f of r.files) {
    const dir = path.join(out, f.node);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.yaml'), f.configYaml);
    if (f.flannelConf) fs.writeFileSync(path.join(dir, 'flannel-net-conf.json'), f.flannelConf);
  }
  console.log(r.notes.map((n) => `note: ${n}`).join('\n'));
  console.log(`\nwrote ${shown(out)}/<node>/config.yaml${r.overlayMtu ? ' and flannel-net-conf.json' : ''} for ${r.files.map((f) => f.node).join(', ')}.`);
  console.log(`On each node: copy config.yaml to ${K3S_CONFIG_PATH}${r.overlayMtu ? ` and flannel-net-conf.json to ${FLANNEL_CONF_PATH}` : ''}, put the cluster token in ${TOKEN_FILE} (mode 0600), then restart k3s (servers first, then agents):`);
  console.log('  sudo systemctl restart k3s        # servers\n  sudo systemctl restart k3s-agent  # agents');
  console.log(`Then restart the pods so they pick up the new MTU: npm run netcheck -- restarts prints the commands.`);
  return 0;
}
