import * as fs from 'fs';
import * as path from 'path';
import { formatPlan, nodesFromInventory, plan, planConfig } from '../lib';
import { errorsOf, exampleRaw, messageAt, resolved, ROOT, withChange } from './support/fixtures';
import { controlPlane, CONTROL_PLANE_RESERVE } from '../lib/rules/k3s';
import { effectiveRequests, loseNode, placePods, podsFromObjects, rolloutRoom } from '../lib/rules/scheduler';
import { planSvg } from '../lib/rules/plan-report';

// Hand-made clusters and objects.
const nodes = (...specs: [string, string, string, string][]) =>
  nodesFromInventory(specs.map(([name, pool, arch, memory]) => ({ name, pool, arch, cpu: '4', memory })), 'pool', { cpu: '0', memory: '0' });
const nodeAffinity = (pool: string, arch = ['amd64', 'arm64']) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [
    { key: 'kubernetes.io/arch', operator: 'In', values: arch }, { key: 'pool', operator: 'In', values: [pool] },
  ] }] } },
});
const affinity = (pool: string, arch = ['amd64', 'arm64']) => ({ affinity: nodeAffinity(pool, arch) });
const deployment = (name: string, replicas: number, memory: string, extra: any = {}, strategy: any = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }) => ({
  kind: 'Deployment', metadata: { name },
  spec: {
    replicas, strategy,
    template: {
      metadata: { labels: { app: name, 'app.kubernetes.io/component': name } },
      spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m', memory } } }], ...extra },
    },
  },
});
const spreadHard = (name: string) => ({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: name } }, matchLabelKeys: ['pod-template-hash'] }] });
const cluster = (instances: number, type: 'required' | 'preferred', pool = 'cloud', arch = 'amd64') => ({
  kind: 'Cluster', metadata: { name: 'db' },
  spec: { instances, resources: { requests: { cpu: '250m', memory: '1Gi' } }, affinity: { enablePodAntiAffinity: true, podAntiAffinityType: type, topologyKey: 'kubernetes.io/hostname', ...nodeAffinity(pool, [arch]) } },
});

describe('placing', () => {
  test('fits: every pod placed, spread over nodes', () => {
    const r = plan([deployment('web', 2, '1Gi', { ...affinity('cloud'), ...spreadHard('web') })], nodes(['a', 'cloud', 'amd64', '4Gi'], ['b', 'cloud', 'amd64', '4Gi']));
    expect(r.ok).toBe(true);
    expect([...r.normal.byNode.values()].map((p) => p.length)).toEqual([1, 1]);
  });
  test('does not fit: names the pod and the memory it needs', () => {
    const r = plan([deployment('web', 2, '1200Mi', affinity('cloud'))], nodes(['a', 'cloud', 'amd64', '2Gi']));
    expect(r.ok).toBe(false);
    expect(r.normal.pending.map((p) => p.reason)).toEqual(['no amd64/arm64 pool cloud node has 1.2Gi free (most: 848Mi on a)']);
  });
  test('anti-affinity with too few nodes', () => {
    const r = plan([cluster(3, 'required')], nodes(['a', 'cloud', 'amd64', '8Gi'], ['b', 'cloud', 'amd64', '8Gi']));
    expect(r.normal.pending).toHaveLength(1);
    expect(r.normal.pending[0].reason).toBe('anti-affinity needs one node per instance: amd64 pool cloud has 2 nodes, each already holding one');
  });
  test('preferred anti-affinity stacks instances instead', () => {
    const r = plan([cluster(3, 'preferred')], nodes(['a', 'cloud', 'amd64', '8Gi'], ['b', 'cloud', 'amd64', '8Gi']));
    expect(r.normal.pending).toEqual([]);
  });
  test('arch mismatch', () => {
    const r = plan([cluster(1, 'required', 'home', 'amd64')], nodes(['pi', 'home', 'arm64', '8Gi']));
    expect(r.normal.pending[0].reason).toBe('no node matches its required affinity (amd64 pool home)');
  });
  test('DaemonSet pods take their share on every eligible node first', () => {
    const ds = { kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ resources: { requests: { cpu: '50m', memory: '512Mi' } } }] } } } };
    const r = plan([ds, deployment('big', 1, '3700Mi', affinity('cloud'))], nodes(['a', 'cloud', 'amd64', '4Gi'], ['b', 'cloud', 'amd64', '4Gi']));
    expect([...r.normal.byNode.values()].map((p) => p.filter((x) => x.daemon).length)).toEqual([1, 1]);
    expect(r.normal.pending[0].reason).toMatch(/has 3.6Gi free \(most: 3.5Gi/);
  });
  test('init containers count the way Kubernetes counts them', () => {
    expect(effectiveRequests({
      initContainers: [{ resources: { requests: { memory: '2Gi', cpu: '100m' } } }, { restartPolicy: 'Always', resources: { requests: { memory: '100Mi' } } }],
      containers: [{ resources: { requests: { memory: '1Gi', cpu: '500m' } } }],
    })).toEqual({ cpu: 500, memory: 2 * 2 ** 30 });
    expect(effectiveRequests({
      initContainers: [{ resources: { requests: { memory: '256Mi' } } }, { restartPolicy: 'Always', resources: { requests: { memory: '100Mi' } } }],
      containers: [{ resources: { requests: { memory: '1Gi' } } }],
    }).memory).toBe(2 ** 30 + 100 * 2 ** 20);
  });
  test('preferred node affinity breaks ties: Sidekiq goes home first', () => {
    const sk = deployment('sidekiq', 1, '640Mi', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['home', 'cloud'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['home'] }] } }],
        },
      },
    });
    const n = nodes(['cloud-big', 'cloud', 'amd64', '32Gi'], ['pi', 'home', 'arm64', '8Gi']);
    const r = plan([sk], n);
    expect(r.normal.byNode.get('pi')!.map((p) => p.owner)).toEqual(['Deployment/sidekiq']);
  });
  test('a higher priority pod preempts a lower one when it needs the room', () => {
    const objs = [
      { kind: 'PriorityClass', metadata: { name: 'hi' }, value: 1000 },
      { kind: 'PriorityClass', metadata: { name: 'lo' }, value: 10, preemptionPolicy: 'Never' },
      deployment('worker', 1, '3Gi', { priorityClassName: 'lo' }),
      deployment('web', 1, '3Gi', { priorityClassName: 'hi' }),
    ];
    const n = nodes(['a', 'cloud', 'amd64', '4Gi'], ['b', 'cloud', 'amd64', '4Gi']);
    const normal = placePods(podsFromObjects(objs), n);
    expect(normal.pending).toEqual([]);
    const lost = normal.byNode.get('a')!.some((p) => p.owner === 'Deployment/web') ? 'a' : 'b';
    const l = loseNode(normal, n, lost);
    // web takes the survivor's room; the worker waits. (One replica: web is down until then.)
    expect(l.placement.pending.map((p) => p.pod.owner)).toEqual(['Deployment/worker']);
    expect(l.moved.map((m) => m.pod.owner)).toEqual(['Deployment/web']);
    expect(l.critical).toEqual({ web: false });
  });
});

describe('losing a node', () => {
  test('an N−1 loss that strands a pod', () => {
    const r = plan([deployment('app', 2, '3Gi', affinity('cloud'))], nodes(['a', 'cloud', 'amd64', '4Gi'], ['b', 'cloud', 'amd64', '4Gi']));
    expect(r.normal.pending).toEqual([]);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^losing a: Deployment\/app#\d stays Pending: no amd64\/arm64 pool cloud node has 3Gi free/)]));
  });
  test('critical components must keep a replica through the loss', () => {
    const r = plan([deployment('web', 1, '1Gi', affinity('cloud'))], nodes(['a', 'cloud', 'amd64', '4Gi'], ['b', 'cloud', 'amd64', '4Gi']));
    const l = r.losses.find((x) => (r.normal.byNode.get(x.lost) ?? []).length > 0)!;
    expect(l.critical.web).toBe(false);
    expect(r.problems).toContain(`losing ${l.lost}: no web replica survives`);
  });
  test('failover time comes from tolerationSeconds plus the node monitor grace', () => {
    const fast = deployment('web', 2, '1Gi', { ...affinity('cloud'), tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }] });
    const r = plan([fast, cluster(2, 'required')], nodes(['a', 'cloud', 'amd64', '8Gi'], ['b', 'cloud', 'amd64', '8Gi']));
    expect(r.losses[0].failoverSeconds).toEqual({ 'Deployment/web': 70, 'Cluster/db': 340 });
    expect(r.losses[0].waiting.map((p) => p.owner)).toEqual(['Cluster/db']);
  });
});

describe('rollout room', () => {
  test('surge room missing: maxUnavailable 0 would stall', () => {
    const objs = [deployment('web', 2, '3Gi', { ...affinity('cloud'), ...spreadHard('web') })];
    const n = nodes(['a', 'cloud', 'amd64', '4Gi'], ['b', 'cloud', 'amd64', '4Gi']);
    const pods = podsFromObjects(objs);
    const normal = placePods(pods, n);
    expect(rolloutRoom(objs, normal, n, pods)).toEqual([{ owner: 'Deployment/web', ok: false, reason: 'no amd64/arm64 pool cloud node has 3Gi free (most: 1Gi on a); with maxUnavailable 0 the rollout stalls' }]);
  });
  test('a Recreate Deployment needs no surge room', () => {
    const objs = [deployment('scheduler', 1, '3Gi', affinity('cloud'), { type: 'Recreate' })];
    const n = nodes(['a', 'cloud', 'amd64', '4Gi']);
    const pods = podsFromObjects(objs);
    expect(rolloutRoom(objs, placePods(pods, n), n, pods)).toEqual([]);
  });
});

describe('job room', () => {
  test('a migration Job that cannot fit beside the running pods is reported', () => {
    const job = { kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { metadata: { labels: { app: 'migrate' } }, spec: { ...affinity('cloud'), containers: [{ resources: { requests: { cpu: '100m', memory: '1Gi' } } }] } } } };
    const r = plan([deployment('web', 1, '3500Mi', affinity('cloud')), job], nodes(['a', 'cloud', 'amd64', '4Gi']));
    expect(r.jobs).toEqual([{ owner: 'Job/migrate', ok: false, reason: 'no amd64/arm64 pool cloud node has 1Gi free (most: 596Mi on a); it stays Pending until something frees room' }]);
    expect(r.ok).toBe(false);
  });
});

describe('the default app', () => {
  const report = planConfig(resolved());
  test('fits, survives the loss of any node (the Pi included), and every rollout has room', () => {
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.losses.map((l) => l.lost)).toEqual(['cloud-1', 'cloud-2', 'cloud-3', 'pi-1']);
    for (const l of report.losses) expect(l.critical).toEqual({ web: true, streaming: true, tunnel: true, database: true });
  });
  test('Sidekiq lives on the Pi and moves to the cloud when the Pi is lost', () => {
    expect(report.normal.byNode.get('pi-1')!.filter((p) => p.component === 'sidekiq')).toHaveLength(3);
    const pi = report.losses.find((l) => l.lost === 'pi-1')!;
    const moved = pi.moved.filter((m) => m.pod.component === 'sidekiq');
    expect(moved).toHaveLength(3);
    for (const m of moved) expect(m.to).toMatch(/^cloud-/);
    expect(pi.failoverSeconds['Deployment/ocw-sidekiq-push']).toBe(70);
  });
  test('the database never gets a shortened toleration; the stateless tiers do', () => {
    const cloud1 = report.losses.find((l) => l.lost === 'cloud-1')!;
    expect(cloud1.failoverSeconds['Cluster/ocw-db']).toBe(340);
    expect(cloud1.failoverSeconds['Deployment/ocw-web']).toBe(70);
  });
  test('the default system reserve is subtracted', () => {
    const pi = report.nodes.find((n) => n.name === 'pi-1')!;
    expect(pi.capacity.memory - pi.allocatable.memory).toBe(768 * 2 ** 20);
  });
  test('a tighter Pi strands Sidekiq only if the cloud cannot take it', () => {
    const small = planConfig(resolved(withChange(exampleRaw(), (c) => {
      for (const p of c.sidekiq.processes) p.resources = { requests: { cpu: '200m', memory: '2Gi' }, limits: { memory: '3Gi' } };
      c.nodes.inventory[1].memory = '5Gi';
      c.nodes.inventory[2].memory = '5Gi';
    })));
    expect(small.ok).toBe(false);
    expect(small.problems.join('\n')).toMatch(/losing pi-1: .*sidekiq.* stays Pending: no amd64\/arm64 pool onprem\/cloud node has 2Gi free/);
  });
  test('the text report and the picture', () => {
    const text = formatPlan(report);
    expect(text).toMatch(/^Verdict: fits, survives the loss of any one node/m);
    expect(report.jobs.map((j) => j.owner)).toEqual(expect.arrayContaining(['Job/ocw-db-migrate-pre', 'CronJob/ocw-media-remove']));
    expect(report.jobs.every((j) => j.ok)).toBe(true);
    expect(text).toMatch(/losing pi-1: web up, streaming up, tunnel up, database up/);
    const svg = planSvg(report);
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('Without pi-1');
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'plan', 'plan.svg'), 'utf8')).toBe(svg);
  });
});

describe('the control plane (issue 24, defect 8)', () => {
  const oneServer = (change: (c: any) => void = () => undefined) => withChange(exampleRaw(), (c) => {
    c.nodes.inventory[1].role = 'agent';
    c.nodes.inventory[2].role = 'agent';
    change(c);
  });
  test('one k3s server (SQLite): losing it is reported with what keeps running, what stops, and the fix', () => {
    const r = planConfig(resolved(oneServer()));
    expect(r.ok).toBe(false);
    expect(r.controlPlane?.datastore).toBe('sqlite');
    expect(r.controlPlane?.singlePoints).toEqual(['cloud-1']);
    const cp = r.problems.filter((p) => /control plane/.test(p));
    expect(cp).toHaveLength(1);
    expect(cp[0]).toMatch(/^losing cloud-1 stops the k3s control plane \(1 k3s server \(cloud-1\) on SQLite/);
    expect(cp[0]).toMatch(/already running on the other nodes keep running/);
    expect(cp[0]).toMatch(/Sidekiq does not fail over to its fallback pool/);
    expect(cp[0]).toMatch(/three nodes k3s servers with embedded etcd .* k3s.acceptControlPlaneLoss: true/);
    const l = r.losses.find((x) => x.lost === 'cloud-1')!;
    expect(l.controlPlaneUp).toBe(false);
    expect(l.moved).toEqual([]);
    expect(l.failoverSeconds).toEqual({});
    expect(l.stranded.length).toBeGreaterThan(0);
    expect(l.stranded.every((p) => (r.normal.byNode.get('cloud-1') ?? []).includes(p))).toBe(true);
    // The other losses keep the API: they are judged as before.
    expect(r.losses.filter((x) => x.lost !== 'cloud-1').every((x) => x.controlPlaneUp)).toBe(true);
    expect(formatPlan(r)).toMatch(/^losing cloud-1: CONTROL PLANE DOWN/m);
  });
  test('accepting the risk knowingly lets the plan pass, and the report still says it', () => {
    const r = planConfig(resolved(oneServer((c) => { c.k3s.acceptControlPlaneLoss = true; })));
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    const text = formatPlan(r);
    expect(text).toMatch(/Accepted \(k3s.acceptControlPlaneLoss\): losing cloud-1 stops all rescheduling/);
    expect(text).toMatch(/^Verdict: fits.*losing cloud-1 stops the control plane \(accepted\)/m);
    expect(planSvg(r)).toContain('Without cloud-1 (control plane');
  });
  test('the catch-up scenario skips the loss that stops the control plane: KEDA cannot scale and nothing moves', () => {
    const r = planConfig(resolved(oneServer((c) => { c.k3s.acceptControlPlaneLoss = true; })));
    expect(r.catchUp!.losses.map((l) => l.lost)).toEqual(['cloud-2', 'cloud-3', 'pi-1']);
  });
  test('two servers with etcd: quorum 2 of 2, so either loss stops the API', () => {
    const r = planConfig(resolved(withChange(exampleRaw(), (c) => { c.nodes.inventory[2].role = 'agent'; })));
    expect(r.controlPlane).toMatchObject({ datastore: 'etcd', quorum: 2, tolerates: 0, singlePoints: ['cloud-1', 'cloud-2'] });
    expect(r.problems.filter((p) => /stops the k3s control plane/.test(p))).toHaveLength(2);
  });
  test('the example: three servers with embedded etcd survive any one loss, and each reserves the control plane', () => {
    const r = planConfig(resolved());
    expect(r.controlPlane).toMatchObject({ servers: ['cloud-1', 'cloud-2', 'cloud-3'], datastore: 'etcd', quorum: 2, tolerates: 1, singlePoints: [] });
    expect(r.losses.every((l) => l.controlPlaneUp)).toBe(true);
    const c2 = r.nodes.find((n) => n.name === 'cloud-2')!;
    expect(c2.capacity.memory - c2.allocatable.memory).toBe(768 * 2 ** 20 + CONTROL_PLANE_RESERVE.etcd.memory);
    expect(c2.capacity.cpu - c2.allocatable.cpu).toBe(250 + CONTROL_PLANE_RESERVE.etcd.cpu);
    expect(formatPlan(r)).toMatch(/^Control plane: 3 k3s servers \(cloud-1, cloud-2, cloud-3\) with embedded etcd, quorum 2 of 3: survives the loss of any one server\.$/m);
  });
  test('no roles: the plan says it cannot tell', () => {
    const r = planConfig(resolved(withChange(exampleRaw(), (c) => { for (const n of c.nodes.inventory) delete n.role; })));
    expect(r.controlPlane).toBeUndefined();
    expect(formatPlan(r)).toMatch(/^Control plane: unknown \(no node has role: server\)/m);
  });
});

describe('controlPlane: k3s datastore and quorum', () => {
  const inv = (servers: number) => Array.from({ length: servers + 1 }, (_, i) => ({ name: `n${i}`, pool: 'p', role: i < servers ? 'server' as const : 'agent' as const }));
  test.each([
    [1, undefined, 'sqlite', 1, 0],
    [1, 'etcd', 'etcd', 1, 0],
    [2, undefined, 'etcd', 2, 0],
    [3, undefined, 'etcd', 2, 1],
    [4, undefined, 'etcd', 3, 1],
    [5, undefined, 'etcd', 3, 2],
  ] as const)('%i server(s), datastore %s: %s, quorum %i, tolerates %i', (n, store, datastore, quorum, tolerates) => {
    const cp = controlPlane(inv(n), store);
    expect(cp).toMatchObject({ datastore, quorum, tolerates });
    expect(cp.singlePoints).toEqual(tolerates === 0 ? cp.servers : []);
  });
  test('an even number of etcd servers is called out', () => {
    expect(controlPlane(inv(4)).summary).toMatch(/an even number adds no tolerance \(3 servers tolerate as many\)/);
  });
  test('SQLite cannot hold more than one server: refused at k3s.datastore', () => {
    expect(controlPlane(inv(3), 'sqlite').problems).toEqual([{ path: 'k3s.datastore', message: expect.stringMatching(/serves one k3s server only, and 3 nodes have role: server.*set k3s.datastore: etcd/) }]);
    expect(messageAt(errorsOf(withChange(exampleRaw(), (c) => { c.k3s.datastore = 'sqlite'; })), 'k3s.datastore')).toMatch(/serves one k3s server only/);
  });
});
