/**
 * Node tuning in the app: off by default, counted by the planner, the restart list, and the one
 * narrow exemption in the pod policy. The NodeTuningChart itself: test/constructs/node-tuning.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { planConfig, synthesizeApp } from '../lib';
import { podPolicyOffences } from './support/pod-policy';
import { exampleRaw, resolved, ROOT, withChange } from './support/fixtures';
import { restartCommands } from '../lib/rules/node-tuning';
import { renderManifests, renderNodeTuning } from '../lib/app/render';

const config = resolved();
const objects = renderNodeTuning(config);
const ds = objects.find((o) => o.kind === 'DaemonSet')!;

describe('the DaemonSet', () => {
  // The chart itself (namespace, privileges, validation, its loop and probe run with stubs): test/constructs/node-tuning.test.ts.
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

describe('where it runs', () => {
  test('only on the architectures its image is built for, and both guides say a 32-bit node gets no pod', () => {
    const terms = ds.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toEqual([{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }]);
    const guide = fs.readFileSync(path.join(ROOT, 'docs', 'network.md'), 'utf8');
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'netcheck.md'), 'utf8');
    for (const text of [guide, doc.slice(doc.indexOf('## Node tuning'))]) {
      expect(text).toMatch(/amd64 and arm64 nodes only/);
      expect(text).toMatch(/`kubernetes\.io\/arch=arm`[^.]*no node-tuning pod[^.]*keeps? (its|the kernel's) congestion control/);
    }
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
