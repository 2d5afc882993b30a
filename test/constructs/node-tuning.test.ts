/**
 * NodeTuningChart in a cdk8s Testing app: the privileged BBR DaemonSet in a namespace of its
 * own. Its loop and readiness probe are run with stub sysctl and modprobe. Whether the app writes
 * it, the planner and the restart list: test/node-tuning.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { NodeTuningChart, NodeTuningChartProps, PRIVILEGED_NAMESPACE_LABELS } from '../../lib/node-tuning';
import { IMAGES } from '../../lib/rules/images';
import { NODE_SYSCTLS } from '../../lib/rules/node-tuning';
import { find } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';

function build(props: Partial<NodeTuningChartProps> = {}) {
  const chart = new NodeTuningChart(Testing.app(), 'node-tuning', { instance: 'ocw', image: IMAGES.netcheck, ...props });
  return { chart, objects: Testing.synth(chart) };
}
const { chart, objects } = build();
const ns = find(objects, 'Namespace', 'ocw-node-tuning');
const ds = find(objects, 'DaemonSet', 'ocw-node-tuning');
const container = ds.spec.template.spec.containers[0];

describe('the DaemonSet', () => {
  test('a Namespace and a DaemonSet, both <instance>-node-tuning, and nothing else', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/ocw-node-tuning', 'DaemonSet/ocw-node-tuning']);
    expect([chart.namespaceObject.name, chart.daemonSet.name, chart.namespace]).toEqual(['ocw-node-tuning', 'ocw-node-tuning', 'ocw-node-tuning']);
  });
  test('its own namespace, labelled for the privileged Pod Security level', () => {
    expect(ns.metadata.name).toBe('ocw-node-tuning');
    expect(ns.metadata.namespace).toBeUndefined();
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    expect(ns.metadata.labels).toMatchObject(PRIVILEGED_NAMESPACE_LABELS);
    expect(ds.metadata.namespace).toBe('ocw-node-tuning');
  });
  test('on every node, in the host network, privileged, with the host modules read-only', () => {
    const spec = ds.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(container.securityContext).toMatchObject({ privileged: true, readOnlyRootFilesystem: true });
    expect(container.volumeMounts).toEqual([{ name: 'modules', mountPath: '/lib/modules', readOnly: true }]);
    expect(container.image).toBe('docker.io/nicolaka/netshoot:v0.16');
  });
  test('only on nodes of an architecture the image is published for, like every other workload', () => {
    expect(ds.spec.template.spec.affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }],
    } } });
    const { objects: o } = build({ image: { ...IMAGES.netcheck, architectures: ['arm64'] } });
    expect(find(o, 'DaemonSet', 'ocw-node-tuning').spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
      .nodeSelectorTerms[0].matchExpressions).toEqual([{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }]);
  });
  test.each(K8S_VERSIONS)('validates strictly against Kubernetes %s', (v) => {
    expect(new K8sValidator(v).validateAll(objects)).toEqual([]);
  });
  test('no service account token, node-critical priority, one node at a time on update', () => {
    const spec = ds.spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.priorityClassName).toBe('system-node-critical');
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
  });
});

describe('props change what they should', () => {
  test('a namespace of another name', () => {
    const { objects: o } = build({ namespace: 'kube-tuning' });
    expect(find(o, 'Namespace', 'kube-tuning').metadata.namespace).toBeUndefined();
    expect(find(o, 'DaemonSet', 'ocw-node-tuning').metadata.namespace).toBe('kube-tuning');
  });
  test('the interval between re-applications (default 300 s)', () => {
    expect(container.command[2]).toContain('\n  sleep 300\n');
    const c = find(build({ intervalSeconds: 60 }).objects, 'DaemonSet', 'ocw-node-tuning').spec.template.spec.containers[0];
    expect(c.command[2]).toContain('\n  sleep 60\n');
  });
  test('the image', () => {
    const c = find(build({ image: { repository: 'registry.example/busybox', tag: '1.37', architectures: ['arm64'] } }).objects, 'DaemonSet', 'ocw-node-tuning')
      .spec.template.spec.containers[0];
    expect(c.image).toBe('registry.example/busybox:1.37');
  });
});

/** Runs a DaemonSet command with stub sysctl/modprobe that keep values in a directory. */
function runWithStubs(command: string, values: Record<string, string>, timeoutMs = 5000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysctl-stub-'));
  for (const [k, v] of Object.entries(values)) fs.writeFileSync(path.join(dir, k), v);
  fs.writeFileSync(path.join(dir, 'sysctl'), `#!/bin/sh
D=${dir}
if [ "$1" = -n ]; then cat "$D/$2"; exit; fi
[ "$1" = -w ] && shift
for kv in "$@"; do printf '%s' "\${kv#*=}" > "$D/\${kv%%=*}"; echo "w $kv" >> "$D/log"; done
`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'modprobe'), `#!/bin/sh\necho "modprobe $*" >> ${dir}/log\n`, { mode: 0o755 });
  // A node with lo (noqueue) and eth0 (the kernel's fq_codel), so no real interface is touched.
  fs.writeFileSync(path.join(dir, 'ip'), '#!/bin/sh\nprintf \'1: lo: <LOOPBACK,UP>\\n2: eth0: <BROADCAST,UP>\\n\'\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'tc'), `#!/bin/sh
case "$*" in
  "qdisc show dev lo root") echo "qdisc noqueue 0: root refcnt 2" ;;
  "qdisc show dev eth0 root") echo "qdisc fq_codel 0: root refcnt 2 limit 10240p" ;;
  *) echo "tc $*" >> ${dir}/log ;;
esac
`, { mode: 0o755 });
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: timeoutMs, env: { PATH: `${dir}:/usr/bin:/bin`, NODE_NAME: 'pi-1' } });
  const log = fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8') : '';
  const after = Object.fromEntries(Object.keys(NODE_SYSCTLS).map((k) => [k, fs.existsSync(path.join(dir, k)) ? fs.readFileSync(path.join(dir, k), 'utf8') : '']));
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...r, log, after };
}

describe('behaviour, with stub sysctl and modprobe', () => {
  const cubic = { 'net.core.default_qdisc': 'fq_codel', 'net.ipv4.tcp_congestion_control': 'cubic', 'net.ipv4.tcp_mtu_probing': '0' };
  test('the loop loads tcp_bbr, writes the three values and logs what it applied', () => {
    const r = runWithStubs(container.command[2], cubic, 1500);
    expect(r.log).toMatch(/^modprobe tcp_bbr\n/);
    expect(r.after).toEqual(NODE_SYSCTLS);
    expect(r.stdout).toContain('node-tuning: applied on pi-1: net.core.default_qdisc=fq net.ipv4.tcp_congestion_control=bbr net.ipv4.tcp_mtu_probing=1');
  });
  test('after the sysctls, the qdiscs the kernel already picked become fq (default_qdisc reaches only new ones)', () => {
    const r = runWithStubs(container.command[2], cubic, 1500);
    expect(r.log.split('\n').filter((l) => l.startsWith('tc '))).toEqual(['tc qdisc replace dev eth0 root fq']);
    expect(r.log.indexOf('w net.core.default_qdisc=fq')).toBeLessThan(r.log.indexOf('tc qdisc replace'));
    expect(r.stdout).toContain("node-tuning: fq on eth0 (was the kernel's fq_codel)");
  });
  test('readiness passes only with every value applied, and prints them', () => {
    const probe = container.readinessProbe.exec.command[2];
    const ok = runWithStubs(probe, { ...NODE_SYSCTLS });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('net.ipv4.tcp_congestion_control=bbr');
    const off = runWithStubs(probe, { ...NODE_SYSCTLS, 'net.ipv4.tcp_mtu_probing': '0' });
    expect(off.status).not.toBe(0);
    expect(off.stdout).toContain('net.ipv4.tcp_mtu_probing=0');
    expect(runWithStubs(probe, cubic).status).not.toBe(0);
  });
});
