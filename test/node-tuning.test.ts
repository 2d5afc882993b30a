/**
 * Node tuning: the opt-in privileged BBR DaemonSet, its readiness, the restart list, and the
 * one narrow exemption in the pod policy.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { planConfig, synthesizeApp } from '../lib';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { podPolicyOffences } from './support/pod-policy';
import { exampleRaw, resolved, withChange } from './support/fixtures';
import { NODE_SYSCTLS, restartCommands } from '../lib/rules/node-tuning';
import { renderManifests, renderNodeTuning } from '../lib/app/render';

const config = resolved();
const objects = renderNodeTuning(config);
const ns = objects.find((o) => o.kind === 'Namespace')!;
const ds = objects.find((o) => o.kind === 'DaemonSet')!;
const container = ds.spec.template.spec.containers[0];

describe('the DaemonSet', () => {
  test('its own namespace, labelled for the privileged Pod Security level', () => {
    expect(ns.metadata.name).toBe('ocw-node-tuning');
    expect(ns.metadata.namespace).toBeUndefined();
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
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
  test.each(K8S_VERSIONS)('validates strictly against Kubernetes %s', (v) => {
    expect(new K8sValidator(v).validateAll(objects as any[])).toEqual([]);
  });
  test('off by default: no file, no objects', () => {
    const off = resolved(withChange(exampleRaw(), (c) => { delete c.nodeTuning; }));
    expect(renderNodeTuning(off)).toEqual([]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-tuning-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, JSON.stringify(withChange(exampleRaw(), (c) => { c.nodeTuning.bbr = false; })));
    expect(synthesizeApp(file, path.join(dir, 'out')).ok).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual(['argocd.k8s.yaml', 'mastodon.k8s.yaml']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  test('the planner counts it on every node', () => {
    const report = planConfig(config);
    for (const n of config.nodes.inventory) expect(report.normal.byNode.get(n.name)!.some((p) => p.owner === 'DaemonSet/ocw-node-tuning')).toBe(true);
    expect(report.ok).toBe(true);
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

describe('restart list: pods created before BBR keep cubic', () => {
  test('every workload of the chart, and the database through the cnpg plugin', () => {
    const cmds = restartCommands([...renderManifests(config), ...objects], { except: 'ocw-node-tuning' });
    expect(cmds[0]).toMatch(/^kubectl -n mastodon rollout restart /);
    for (const w of ['deployment/ocw-web', 'deployment/ocw-streaming', 'deployment/ocw-sidekiq-default', 'deployment/ocw-tunnel', 'statefulset/ocw-redis', 'deployment/ocw-db-pooler']) {
      expect(cmds[0].split(' ')).toContain(w);
    }
    expect(cmds).toContain('kubectl cnpg restart ocw-db -n mastodon');
    expect(cmds.join(' ')).not.toContain('node-tuning');
  });
});

describe('pod policy: one narrow exemption', () => {
  const strip = (o: any) => JSON.parse(JSON.stringify(o));
  test('the node-tuning DaemonSet passes', () => {
    expect(podPolicyOffences(objects as any[])).toEqual([]);
  });
  test('it must not also share the host PID namespace', () => {
    const o = strip(ds); o.spec.template.spec.hostPID = true;
    expect(podPolicyOffences([o])).toContain('DaemonSet/ocw-node-tuning: shares a host namespace');
  });
  test('the other rules still hold for it', () => {
    const o = strip(ds);
    o.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    delete o.spec.template.spec.containers[0].readinessProbe;
    expect(podPolicyOffences([o])).toEqual(['DaemonSet/ocw-node-tuning container sysctl: root filesystem is writable', 'DaemonSet/ocw-node-tuning container sysctl: no readiness probe']);
  });
  test('no other object gets it: another name, another kind, another component', () => {
    const renamed = strip(ds); renamed.metadata.name = 'ocw-debug';
    expect(podPolicyOffences([renamed])).toContain('DaemonSet/ocw-debug container sysctl: privileged');
    const asDeployment = { ...strip(ds), kind: 'Deployment' };
    expect(podPolicyOffences([asDeployment])).toContain('Deployment/ocw-node-tuning container sysctl: privileged');
    const other = strip(ds); other.spec.template.metadata.labels['app.kubernetes.io/component'] = 'web';
    expect(podPolicyOffences([other])).toContain('DaemonSet/ocw-node-tuning container sysctl: privileged');
  });
});
