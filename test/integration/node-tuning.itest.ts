/**
 * What the node-tuning DaemonSet and its guide (docs/network.md) rely on, checked on the real kernel with
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
import { fqOnExistingInterfaces } from '../../lib/rules/node-tuning';

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

// The kernel here may lack sch_fq, so the same script runs with pfifo: what it checks is which
// interfaces it touches and that a second pass changes nothing, on real tap devices.
withNamespaces('the qdisc pass replaces only the qdiscs the kernel picked, single- and multiqueue, once; never on a tun device', () => {
  const show = 'for i in t1 t2 t3 t4; do tc qdisc show dev $i | awk -v i=$i \'{ print i, $2, $3, $4, $5 }\'; done';
  const out = inNamespace([
    'ip tuntap add dev t1 mode tap && ip link set t1 up',
    'ip tuntap add dev t2 mode tap multi_queue && ip link set t2 up',
    'ip tuntap add dev t3 mode tap && ip link set t3 up && tc qdisc replace dev t3 root bfifo',
    // A layer-3 tun device (CloudflareWARP, tailscale0, wireguard-go): left with the kernel's qdisc.
    'ip tuntap add dev t4 mode tun && ip link set t4 up',
    'echo before', show,
    'echo pass1', fqOnExistingInterfaces('pfifo'),
    'echo after', show,
    'echo pass2', fqOnExistingInterfaces('pfifo'),
  ].join('\n'));
  const marks = ['before', 'pass1', 'after', 'pass2'];
  const section = (name: string) => {
    const next = marks[marks.indexOf(name) + 1];
    return out.slice(out.indexOf(name) + 1, next ? out.indexOf(next) : out.length).map((l) => l.trim());
  };
  // Before: the kernel's defaults (handle 0:) on t1 and t2, the configured bfifo on t3.
  expect(section('before')).toEqual(expect.arrayContaining([expect.stringMatching(/^t1 \S+ 0: root/), 't2 mq 0: root', expect.stringMatching(/^t3 bfifo (?!0:)[0-9a-f]+: root/)]));
  expect(section('pass1').sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^node-tuning: pfifo on t1 /), "node-tuning: pfifo on t2 (was the kernel's mq)"]));
  expect(section('pass1').join('\n')).not.toMatch(/t3|t4|lo/);
  const after = section('after');
  expect(after).toEqual(expect.arrayContaining([expect.stringMatching(/^t1 pfifo (?!0:)[0-9a-f]+: root/), 't2 mq 1: root', expect.stringMatching(/^t2 pfifo \S+ parent 1:1$/), expect.stringMatching(/^t3 bfifo (?!0:)[0-9a-f]+: root/)]));
  expect(after).toEqual(expect.arrayContaining([expect.stringMatching(/^t4 \S+ 0: root/)]));
  expect(after.filter((l) => l.startsWith('t2 ') && !l.startsWith('t2 mq')).every((l) => l.startsWith('t2 pfifo '))).toBe(true);
  expect(out.slice(out.indexOf('pass2') + 1)).toEqual([]);
});

/** Runs a shell script in a new network namespace; returns its stdout and stderr, whatever the exit. */
function inNamespaceRaw(script: string): { stdout: string; stderr: string } {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
  return { stdout: r.stdout, stderr: r.stderr };
}

// The host's default_qdisc is what the kernel gives a new mq's queues (mq_init in net/sched/sch_mq.c):
// the state of a node once the DaemonSet has written net.core.default_qdisc.
withNamespaces('an mq whose queues already have the kind is left alone, even with a clsact or ingress qdisc beside it', () => {
  const dflt = fs.readFileSync('/proc/sys/net/core/default_qdisc', 'utf8').trim();
  const out = inNamespace([
    'ip tuntap add dev t2 mode tap multi_queue && ip link set t2 up && tc qdisc add dev t2 clsact',
    'ip tuntap add dev t3 mode tap multi_queue && ip link set t3 up && tc qdisc add dev t3 ingress',
    'echo pass', fqOnExistingInterfaces(dflt),
    'echo after', 'for i in t2 t3; do tc qdisc show dev $i | awk -v i=$i \'{ print i, $2, $3, $4, $5 }\'; done',
  ].join('\n'));
  expect(out.slice(out.indexOf('pass') + 1, out.indexOf('after'))).toEqual([]);
  expect(out.slice(out.indexOf('after') + 1).map((l) => l.trim())).toEqual(expect.arrayContaining(['t2 mq 0: root', 't3 mq 0: root', `t2 ${dflt} 0: parent :1`]));
});

withNamespaces('a queue of a multiqueue interface that does not get the kind is reported as a failure, not a success', () => {
  // No qdisc is called nosuch: every tc call with it fails, as a missing module would.
  const { stdout, stderr } = inNamespaceRaw([
    'ip tuntap add dev t2 mode tap multi_queue && ip link set t2 up',
    fqOnExistingInterfaces('nosuch'),
  ].join('\n'));
  expect(stdout).not.toMatch(/node-tuning: nosuch on t2/);
  expect(stderr).toMatch(/node-tuning: could not set nosuch on t2 queue 1:1\b/);
});
