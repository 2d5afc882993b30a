/**
 * NetworkPolicies alone in a blank cdk8s Chart, from the smallest config and what each setting
 * adds. Who reaches whom among the real pods of the whole chart: test/network.test.ts.
 */
import { Chart, Testing } from 'cdk8s';
import { CLOUDFLARE_EDGE_PORT, INTERNET_V4, NetworkPolicies, routeEgress } from '../../lib/network-policies';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { canReach, End, NetworkPolicyObject } from '../../lib/rules/network-reach';
import { find } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { tinyConfig, withCnpg, withTunnel } from './tiny-config';

/** In the namespace the config names, as MastodonChart puts them: a policy holds in its own namespace only. */
function build(change?: (c: any) => void) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'mastodon' });
  const construct = new NetworkPolicies(chart, 'network', { config: resolveConfigOrThrow(tinyConfig(change)) });
  const objects = Testing.synth(chart);
  return { construct, objects, policies: objects as unknown as NetworkPolicyObject[], shorts: objects.map((o) => o.metadata.name.replace(/^tiny-netpol-/, '')).sort() };
}
/** A pod of this instance's component, labelled as the constructs label them. */
const pod = (component: string, namespace = 'mastodon'): End => ({ kind: 'pod', namespace, labels: { 'app.kubernetes.io/instance': 'tiny', 'app.kubernetes.io/component': component } });
const internet: End = { kind: 'ip', ip: '93.184.216.34' };
const lan: End = { kind: 'ip', ip: '192.168.1.10' };
const dns: End = { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const ALWAYS = ['default-deny', 'dns', 'jobs', 'sidekiq', 'streaming', 'web'];

describe('alone, from the smallest config (external database and Redis, no tunnel)', () => {
  const { construct, objects, policies, shorts } = build();

  test('the policies every instance has, <instance>-netpol-<short>, and no others', () => {
    expect(shorts).toEqual(ALWAYS);
    expect(Object.keys(construct.policies).sort()).toEqual(ALWAYS);
    expect(objects.every((o) => o.kind === 'NetworkPolicy')).toBe(true);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('a default deny for ingress and egress in the namespace', () => {
    const deny = find(objects, 'NetworkPolicy', 'tiny-netpol-default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test('every pod may ask cluster DNS, on 53 only', () => {
    for (const c of ['web', 'redis', 'anything']) {
      expect(canReach(policies, { from: pod(c), to: dns, port: 53, protocol: 'UDP' })).toBe(true);
      expect(canReach(policies, { from: pod(c), to: dns, port: 53, protocol: 'TCP' })).toBe(true);
      expect(canReach(policies, { from: pod(c), to: dns, port: 80 })).toBe(false);
    }
  });

  test('web and Sidekiq reach the public Internet on 80, 443 and the SMTP port, never the LAN; streaming does not', () => {
    for (const c of ['web', 'sidekiq']) {
      for (const port of [80, 443, 587]) expect(canReach(policies, { from: pod(c), to: internet, port })).toBe(true);
      expect(canReach(policies, { from: pod(c), to: internet, port: 22 })).toBe(false);
      expect(canReach(policies, { from: pod(c), to: lan, port: 443 })).toBe(false);
    }
    expect(canReach(policies, { from: pod('streaming'), to: internet, port: 443 })).toBe(false);
    expect(INTERNET_V4.except).toContain('192.168.0.0/16');
  });

  test('the external database and Redis are reached on their ports by the Mastodon pods', () => {
    const db: End = { kind: 'ip', ip: '203.0.113.9' };
    for (const c of ['web', 'streaming', 'sidekiq', 'migrate', 'cleanup']) {
      expect(canReach(policies, { from: pod(c), to: db, port: 5432 })).toBe(true);
      expect(canReach(policies, { from: pod(c), to: db, port: 6379 })).toBe(true);
    }
    expect(canReach(policies, { from: pod('other'), to: db, port: 5432 })).toBe(false);
  });

  test('nothing reaches web or streaming without a tunnel', () => {
    for (const from of [pod('sidekiq'), pod('web', 'default'), pod('tunnel')]) {
      expect(canReach(policies, { from, to: pod('web'), port: 3000 })).toBe(false);
      expect(canReach(policies, { from, to: pod('streaming'), port: 4000 })).toBe(false);
    }
  });
});

describe('what each setting adds', () => {
  test('an external database is reached on its port', () => {
    const { policies, shorts } = build((c) => { c.database = { mode: 'external', host: 'pg.example.net', port: 25060, passwordSecret: { name: 'db', key: 'password' } }; });
    const pg: End = { kind: 'ip', ip: '203.0.113.9' };
    expect(canReach(policies, { from: pod('web'), to: pg, port: 25060 })).toBe(true);
    expect(shorts.filter((n) => /postgres|pooler/.test(n))).toEqual([]);
  });

  test('internal Redis: its own policy, reached on 6379 by the Mastodon pods only', () => {
    const { policies, shorts } = build((c) => { c.redis = { mode: 'internal' }; });
    expect(shorts).toEqual([...ALWAYS, 'redis'].sort());
    for (const c of ['web', 'streaming', 'sidekiq', 'migrate', 'cleanup']) expect(canReach(policies, { from: pod(c), to: pod('redis'), port: 6379 })).toBe(true);
    expect(canReach(policies, { from: pod('tunnel'), to: pod('redis'), port: 6379 })).toBe(false);
    expect(canReach(policies, { from: pod('redis'), to: internet, port: 443 })).toBe(false);
  });

  test('a tunnel: the connectors reach the edge, web, streaming and the maintenance page; only they reach those', () => {
    const { policies, shorts, objects } = build(withTunnel);
    expect(shorts).toEqual([...ALWAYS, 'maintenance', 'tunnel'].sort());
    const edge: End = { kind: 'ip', ip: '198.41.192.7' };
    expect(canReach(policies, { from: pod('tunnel'), to: edge, port: CLOUDFLARE_EDGE_PORT, protocol: 'UDP' })).toBe(true);
    expect(canReach(policies, { from: pod('tunnel'), to: edge, port: 443 })).toBe(true);
    for (const [to, port] of [['web', 3000], ['streaming', 4000], ['maintenance', 8080]] as const) {
      expect(canReach(policies, { from: pod('tunnel'), to: pod(to), port })).toBe(true);
      expect(canReach(policies, { from: pod('sidekiq'), to: pod(to), port })).toBe(false);
    }
    expect(canReach(policies, { from: pod('tunnel'), to: internet, port: 22 })).toBe(false);
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(objects)).toEqual([]);
  });

  test('CloudNativePG: the instances, the pooler, the corruption check; the pods go through the pooler, migrations to the instances', () => {
    const { policies, shorts, objects } = build(withCnpg);
    expect(shorts).toEqual([...ALWAYS, 'amcheck', 'pooler', 'postgres'].sort());
    const db: End = { kind: 'pod', namespace: 'mastodon', labels: { 'cnpg.io/cluster': 'tiny-db', 'cnpg.io/podRole': 'instance' } };
    const pooler: End = { kind: 'pod', namespace: 'mastodon', labels: { 'cnpg.io/poolerName': 'tiny-db-pooler' } };
    for (const c of ['web', 'streaming', 'sidekiq', 'cleanup']) {
      expect(canReach(policies, { from: pod(c), to: pooler, port: 5432 })).toBe(true);
      expect(canReach(policies, { from: pod(c), to: db, port: 5432 })).toBe(false);
    }
    expect(canReach(policies, { from: pod('migrate'), to: db, port: 5432 })).toBe(true);
    expect(canReach(policies, { from: pod('amcheck'), to: db, port: 5432 })).toBe(true);
    expect(canReach(policies, { from: pooler, to: db, port: 5432 })).toBe(true);
    const operator: End = { kind: 'pod', namespace: 'cnpg-system', labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } };
    expect(canReach(policies, { from: operator, to: db, port: 8000 })).toBe(true);
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(objects)).toEqual([]);
  });

  test('volume snapshots: a policy for the retention job, which talks to the Kubernetes API only', () => {
    const { policies, shorts } = build((c) => {
      withCnpg(c);
      c.database.backup.volumeSnapshot = { className: 'longhorn-snapshot' };
      c.database.storage = { size: '20Gi', storageClass: 'longhorn' };
      c.database.walStorage = { size: '5Gi', storageClass: 'longhorn' };
    });
    expect(shorts).toContain('snapshot-retention');
    const api: End = { kind: 'ip', ip: '10.0.0.5' };
    expect(canReach(policies, { from: pod('backup'), to: api, port: 6443 })).toBe(true);
    expect(canReach(policies, { from: pod('backup'), to: internet, port: 80 })).toBe(false);
  });

  test('scheduled restarts: a policy for the restart pods, which talk to the Kubernetes API only', () => {
    const { policies, shorts } = build((c) => { c.restarts = { web: '0 4 * * *' }; });
    expect(shorts).toEqual([...ALWAYS, 'restart'].sort());
    const api: End = { kind: 'ip', ip: '10.0.0.5' };
    expect(canReach(policies, { from: pod('restart'), to: api, port: 443 })).toBe(true);
    expect(canReach(policies, { from: pod('restart'), to: pod('web'), port: 3000 })).toBe(false);
  });

  test('monitoring: the web exporter\'s policy; Prometheus in on the metrics ports only', () => {
    const { policies, shorts } = build((c) => { c.monitoring = { enabled: true }; });
    expect(shorts).toEqual([...ALWAYS, 'web-metrics'].sort());
    const prometheus: End = { kind: 'pod', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
    expect(canReach(policies, { from: pod('web'), to: pod('web-metrics'), port: 9394 })).toBe(true);
    expect(canReach(policies, { from: prometheus, to: pod('web-metrics'), port: 9394 })).toBe(true);
    expect(canReach(policies, { from: prometheus, to: pod('sidekiq'), port: 9394 })).toBe(true);
    expect(canReach(policies, { from: prometheus, to: pod('web'), port: 3000 })).toBe(false);
    expect(canReach(policies, { from: pod('web-metrics'), to: internet, port: 443 })).toBe(false);
  });

  test('KEDA with internal Redis: its operator reaches Redis on 6379', () => {
    const { policies } = build((c) => {
      c.redis = { mode: 'internal' };
      c.sidekiq.keda = {};
    c.sidekiq.processes = [{ name: 'sched', queues: ['scheduler'] }, { name: 'all', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp'], scaling: { maxReplicas: 3 } }];
    });
    const keda: End = { kind: 'pod', namespace: 'keda', labels: { app: 'keda-operator' } };
    expect(canReach(policies, { from: keda, to: pod('redis'), port: 6379 })).toBe(true);
    expect(canReach(policies, { from: { ...keda, namespace: 'default' }, to: pod('redis'), port: 6379 })).toBe(false);
  });
});

describe('routeEgress: the egress for an extra tunnel route', () => {
  test.each([
    ['http://uptime-kuma.monitoring:3001', [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], 3001],
    ['http://svc.other.svc.cluster.local', [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }], 80],
    ['https://status', [{ podSelector: {} }], 443],
    ['http://192.168.1.5:8080', [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], 8080],
  ])('%s', (service, to, port) => {
    const [rule, ...more] = routeEgress(service);
    expect(more).toEqual([]);
    expect(rule.to).toEqual(to);
    expect(rule.ports!.map((p) => [p.protocol, p.port!.value])).toEqual([['TCP', port]]);
  });
  test('no egress for what is not an http(s) URL', () => {
    expect(routeEgress('http_status:404')).toEqual([]);
    expect(routeEgress('not a url')).toEqual([]);
    expect(routeEgress('ssh://host:22')).toEqual([]);
  });
});
