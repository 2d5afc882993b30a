import { exampleRaw, find, podMetaOf, render, withChange } from './support/fixtures';
import { canReach, End, Flow, inCidr, NetworkPolicyObject, selectorMatches } from '../lib/rules/network-reach';

const objects = render();
const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
const ns = 'mastodon';
const podOf = (kind: string, name: string): End => ({ kind: 'pod', namespace: ns, labels: podMetaOf(find(objects, kind, name)).labels });
const pod = {
  web: podOf('Deployment', 'ocw-web'),
  streaming: podOf('Deployment', 'ocw-streaming'),
  sidekiq: podOf('Deployment', 'ocw-sidekiq-push'),
  migrate: podOf('Job', 'ocw-db-migrate-pre'),
  cleanup: podOf('CronJob', 'ocw-media-remove'),
  redis: podOf('StatefulSet', 'ocw-redis'),
  tunnel: podOf('Deployment', 'ocw-tunnel'),
  amcheck: podOf('CronJob', 'ocw-db-amcheck'),
  retention: podOf('CronJob', 'ocw-db-snapshot-retention'),
  // Pods the operator makes, with the labels it gives them.
  db: { kind: 'pod', namespace: ns, labels: { 'cnpg.io/cluster': 'ocw-db', 'cnpg.io/podRole': 'instance', 'cnpg.io/instanceRole': 'replica' } } as End,
  pooler: { kind: 'pod', namespace: ns, labels: { ...find(objects, 'Pooler', 'ocw-db-pooler').spec.template.metadata.labels, 'cnpg.io/poolerName': 'ocw-db-pooler' } } as End,
  operator: { kind: 'pod', namespace: 'cnpg-system', labels: { 'app.kubernetes.io/name': 'cloudnative-pg' } } as End,
  dns: { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } } as End,
  statusPage: { kind: 'pod', namespace: 'monitoring', labels: { app: 'uptime-kuma' } } as End,
  otherApp: { kind: 'pod', namespace: 'default', labels: { app: 'something' } } as End,
  internet: { kind: 'ip', ip: '93.184.216.34' } as End,
  cloudflare: { kind: 'ip', ip: '198.41.192.7' } as End,
  lan: { kind: 'ip', ip: '192.168.1.10' } as End,
  apiServer: { kind: 'ip', ip: '10.0.0.5' } as End,
};
type Name = keyof typeof pod;
const flow = (from: Name, to: Name, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): Flow => ({ from: pod[from], to: pod[to], port, protocol });

describe('allowed: who can reach whom', () => {
  test.each<[Name, Name, number, 'TCP' | 'UDP']>([
    ['tunnel', 'web', 3000, 'TCP'], ['tunnel', 'streaming', 4000, 'TCP'],
    ['tunnel', 'cloudflare', 7844, 'TCP'], ['tunnel', 'cloudflare', 7844, 'UDP'], ['tunnel', 'cloudflare', 443, 'TCP'],
    ['tunnel', 'statusPage', 3001, 'TCP'],
    ['web', 'pooler', 5432, 'TCP'], ['streaming', 'pooler', 5432, 'TCP'], ['sidekiq', 'pooler', 5432, 'TCP'], ['cleanup', 'pooler', 5432, 'TCP'],
    ['web', 'redis', 6379, 'TCP'], ['streaming', 'redis', 6379, 'TCP'], ['sidekiq', 'redis', 6379, 'TCP'], ['migrate', 'redis', 6379, 'TCP'],
    ['migrate', 'db', 5432, 'TCP'], ['amcheck', 'db', 5432, 'TCP'], ['pooler', 'db', 5432, 'TCP'],
    ['db', 'db', 5432, 'TCP'], ['db', 'db', 8000, 'TCP'],
    ['operator', 'db', 8000, 'TCP'], ['operator', 'db', 5432, 'TCP'],
    ['web', 'internet', 443, 'TCP'], ['web', 'internet', 80, 'TCP'], ['sidekiq', 'internet', 443, 'TCP'], ['sidekiq', 'internet', 587, 'TCP'],
    ['cleanup', 'internet', 443, 'TCP'], ['db', 'internet', 443, 'TCP'], ['db', 'apiServer', 6443, 'TCP'], ['retention', 'apiServer', 443, 'TCP'],
    ['web', 'dns', 53, 'UDP'], ['redis', 'dns', 53, 'UDP'], ['db', 'dns', 53, 'TCP'],
  ])('%s → %s:%i %s', (from, to, port, protocol) => {
    expect(canReach(policies, flow(from, to, port, protocol))).toBe(true);
  });
});

describe('denied: everything else', () => {
  test.each<[Name, Name, number, 'TCP' | 'UDP']>([
    // Nothing from outside the namespace reaches Mastodon; only the tunnel does.
    ['otherApp', 'web', 3000, 'TCP'], ['statusPage', 'web', 3000, 'TCP'], ['sidekiq', 'web', 3000, 'TCP'], ['web', 'streaming', 4000, 'TCP'],
    ['otherApp', 'redis', 6379, 'TCP'], ['tunnel', 'redis', 6379, 'TCP'], ['tunnel', 'pooler', 5432, 'TCP'],
    // Mastodon goes through the pooler; only migrations and the check reach Postgres itself.
    ['web', 'db', 5432, 'TCP'], ['sidekiq', 'db', 5432, 'TCP'], ['streaming', 'db', 5432, 'TCP'],
    ['otherApp', 'db', 5432, 'TCP'], ['otherApp', 'pooler', 5432, 'TCP'],
    // The streaming server, Redis and the tunnel have no business on the open Internet.
    ['streaming', 'internet', 443, 'TCP'], ['redis', 'internet', 443, 'TCP'], ['tunnel', 'internet', 22, 'TCP'],
    // No SSRF into the home LAN, and no odd ports out.
    ['web', 'lan', 443, 'TCP'], ['sidekiq', 'lan', 80, 'TCP'], ['web', 'internet', 22, 'TCP'], ['sidekiq', 'internet', 5432, 'TCP'],
    ['amcheck', 'internet', 443, 'TCP'], ['amcheck', 'pooler', 5432, 'TCP'],
    // The tunnel reaches only the services it routes to.
    ['tunnel', 'statusPage', 22, 'TCP'], ['tunnel', 'db', 5432, 'TCP'],
    // DNS only to cluster DNS.
    ['web', 'internet', 53, 'UDP'],
  ])('%s ↛ %s:%i %s', (from, to, port, protocol) => {
    expect(canReach(policies, flow(from, to, port, protocol))).toBe(false);
  });
});

describe('the policies', () => {
  // The policies alone (default deny, what each setting adds): test/constructs/network-policies.test.ts.
  test('maintenance page: only the tunnel reaches it', () => {
    const on = render(withChange(exampleRaw(), (c) => { c.maintenance = { enabled: true }; }));
    const ps = on.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
    const page: End = { kind: 'pod', namespace: ns, labels: podMetaOf(find(on, 'Deployment', 'ocw-maintenance')).labels };
    expect(canReach(ps, { from: pod.tunnel, to: page, port: 8080 })).toBe(true);
    expect(canReach(ps, { from: pod.web, to: page, port: 8080 })).toBe(false);
    expect(canReach(ps, { from: page, to: pod.internet, port: 443 })).toBe(false);
  });
  test('metrics scraping only when a monitoring namespace is configured', () => {
    const prometheus: End = { kind: 'pod', namespace: 'monitoring', labels: { app: 'prometheus' } };
    expect(canReach(policies, { from: prometheus, to: pod.db, port: 9187 })).toBe(false);
    const on = render(withChange(exampleRaw(), (c) => { c.network = { monitoringNamespace: 'monitoring' }; }));
    const ps = on.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
    expect(canReach(ps, { from: prometheus, to: pod.db, port: 9187 })).toBe(true);
    expect(canReach(ps, { from: prometheus, to: pod.pooler, port: 9127 })).toBe(true);
    expect(canReach(ps, { from: prometheus, to: pod.tunnel, port: 2000 })).toBe(true);
    expect(canReach(ps, { from: prometheus, to: pod.web, port: 3000 })).toBe(false);
  });
});

describe('importing an existing database', () => {
  test('the import job may reach the old server on its port; normally the instances may not', () => {
    const old: End = { kind: 'ip', ip: '192.0.2.20' };
    expect(canReach(policies, { from: pod.db, to: old, port: 5433 })).toBe(false);
    const o = render(withChange(exampleRaw(), (c) => {
      c.database.bootstrap = { mode: 'import', host: 'old-postgres.lan', port: 5433, passwordSecret: { name: 'old-db', key: 'password' } };
    }));
    const ps = o.filter((x) => x.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
    const importJob: End = { kind: 'pod', namespace: ns, labels: { 'cnpg.io/cluster': 'ocw-db', 'cnpg.io/jobRole': 'import' } };
    expect(canReach(ps, { from: importJob, to: old, port: 5433 })).toBe(true);
  });
});

describe('the evaluator itself', () => {
  test('selectors', () => {
    expect(selectorMatches({ matchLabels: { a: '1' } }, { a: '1', b: '2' })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['2'] }] }, { a: '1' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {})).toBe(true);
    expect(selectorMatches({}, { x: 'y' })).toBe(true);
  });
  test('CIDRs', () => {
    expect(inCidr('10.42.1.2', '10.0.0.0/8')).toBe(true);
    expect(inCidr('11.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(inCidr('1.2.3.4', '::/0')).toBe(false);
  });
  test('no policy means open, a selecting policy without rules means closed', () => {
    const a: End = { kind: 'pod', namespace: 'x', labels: { app: 'a' } };
    const b: End = { kind: 'pod', namespace: 'x', labels: { app: 'b' } };
    expect(canReach([], { from: a, to: b, port: 80 })).toBe(true);
    const deny: NetworkPolicyObject = { kind: 'NetworkPolicy', metadata: { name: 'd', namespace: 'x' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    expect(canReach([deny], { from: a, to: b, port: 80 })).toBe(false);
  });
});
