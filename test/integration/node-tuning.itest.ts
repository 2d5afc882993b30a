/**
 * What the node-tuning DaemonSet and its README section rely on, checked on the real kernel with
 * network namespaces (a pod's network is one): which of its three settings a pod gets.
 * - tcp_congestion_control is per namespace and a new namespace copies init_net's (the host's)
 *   value when it is created, not its creator's: pods follow the host, but only from creation on.
 * - tcp_mtu_probing is per namespace and NOT copied: a new namespace starts at 0.
 * - net.core.default_qdisc is global: a pod's /proc/sys does not have it, so only a host-network
 *   container can set it.
 * Nothing here writes the host's own settings.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { isRoot } from './support/programs';

const canUnshare = isRoot() && spawnSync('unshare', ['-n', 'true']).status === 0;
const withNamespaces = canUnshare ? test : test.skip;

/** Runs a shell script in a new network namespace; returns its stdout lines. */
function inNamespace(script: string): string[] {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

const read = (k: string) => `cat /proc/sys/${k.replace(/\./g, '/')}`;

withNamespaces('a new namespace copies the host\'s congestion control, not its creator\'s, and starts MTU probing at 0', () => {
  const hostCc = fs.readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
  const other = hostCc === 'reno' ? 'cubic' : 'reno';
  // The outer namespace changes both values; the nested one (a pod created later) shows what it got.
  const [outerCc, outerProbe, innerCc, innerProbe] = inNamespace([
    `echo ${other} > /proc/sys/net/ipv4/tcp_congestion_control`,
    'echo 1 > /proc/sys/net/ipv4/tcp_mtu_probing',
    read('net.ipv4.tcp_congestion_control'), read('net.ipv4.tcp_mtu_probing'),
    `unshare -n sh -c '${read('net.ipv4.tcp_congestion_control')}; ${read('net.ipv4.tcp_mtu_probing')}'`,
  ].join('\n'));
  expect([outerCc, outerProbe]).toEqual([other, '1']);
  expect(innerCc).toBe(hostCc);
  expect(innerProbe).toBe('0');
});

withNamespaces('net.core.default_qdisc exists only in the host\'s network namespace', () => {
  expect(fs.existsSync('/proc/sys/net/core/default_qdisc')).toBe(true);
  const [inPod] = inNamespace('[ -e /proc/sys/net/core/default_qdisc ] && echo present || echo absent');
  expect(inPod).toBe('absent');
});
