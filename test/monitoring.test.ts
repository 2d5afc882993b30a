/**
 * Monitoring: off by default and invisible then; on, every object validates against the
 * Kubernetes schemas and the Prometheus Operator CRDs, every PodMonitor scrapes a port the pods
 * it selects really have, the exporters are hardened and counted by the planner, and the
 * NetworkPolicies let exactly Prometheus in, on exactly the metrics ports.
 */
import { parse } from 'yaml';
import { planConfig, resolveConfig } from '../lib';
import { errorsOf, exampleRaw, find, messageAt, podMetaOf, podSpecOf, render, resolved, withChange } from './support/fixtures';
import { K8S_VERSIONS, K8sValidator, loadCrdSchemas, translateGoPattern } from './support/k8s-validator';
import { podPolicyOffences } from './support/pod-policy';
import { canReach, End, NetworkPolicyObject } from '../lib/rules/network-reach';
import { longestGapSeconds } from '../lib/rules/cron';
import { podsFromObjects } from '../lib/rules/scheduler';

const monitoringOn = (extra: Record<string, unknown> = {}) =>
  withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true, ruleLabels: { release: 'kube-prometheus-stack' }, ...extra }; });
const off = render();
const on = render(monitoringOn());
const MONITORING_KINDS = ['PodMonitor', 'PrometheusRule', 'ServiceMonitor'];

describe('off by default', () => {
  test('the example renders no monitoring object, no exporter and no metrics variable', () => {
    expect(off.filter((o) => MONITORING_KINDS.includes(o.kind))).toEqual([]);
    const text = JSON.stringify(off);
    expect(text).not.toMatch(/PROMETHEUS_EXPORTER|redis_exporter|9394|9121/);
  });

  test('monitoring.enabled: false renders exactly what leaving the section out renders', () => {
    expect(render(withChange(exampleRaw(), (c) => { c.monitoring = { enabled: false, namespace: 'observability' }; }))).toEqual(off);
  });
});

describe.each(K8S_VERSIONS.map((v) => [v, new K8sValidator(v)] as const))('strict validation (%s)', (_v, validator) => {
  test('every object validates with monitoring on, including the PodMonitors and the PrometheusRule', () => {
    expect(on.filter((o) => o.kind === 'PodMonitor').length).toBe(6);
    expect(on.filter((o) => o.kind === 'PrometheusRule').length).toBe(1);
    expect(validator.validateAll(on)).toEqual([]);
  });

  test('a misspelt PodMonitor or PrometheusRule field fails', () => {
    const pm = find(on, 'PodMonitor', 'ocw-mastodon');
    expect(validator.validate(withChange(pm, (o) => { o.spec.podMetricsEndpoints[0].intervall = '30s'; })).join('\n')).toMatch(/intervall/);
    expect(validator.validate(withChange(pm, (o) => { o.spec.podMetricsEndpoints[0].interval = 'thirty'; })).join('\n')).toMatch(/pattern/);
    const rule = find(on, 'PrometheusRule', 'ocw-alerts');
    expect(validator.validate(withChange(rule, (o) => { o.spec.groups[0].rules[0].severity = 'critical'; })).join('\n')).toMatch(/severity/);
  });

  test("the Go-only pattern (?i) is translated, not dropped: 'WARN' passes, 'bogus' fails", () => {
    const rule = find(on, 'PrometheusRule', 'ocw-alerts');
    expect(validator.validate(withChange(rule, (o) => { o.spec.groups[0].partial_response_strategy = 'WARN'; }))).toEqual([]);
    expect(validator.validate(withChange(rule, (o) => { o.spec.groups[0].partial_response_strategy = 'bogus'; })).join('\n'))
      .toMatch(/partial_response_strategy must match pattern/);
  });
});

describe('the Go pattern translation', () => {
  test('JavaScript rejects the upstream pattern as it is', () => {
    // eslint-disable-next-line no-invalid-regexp -- the point: this Go (RE2) pattern is not valid JavaScript
    expect(() => new RegExp('^(?i)(abort|warn)?$', 'u')).toThrow();
  });

  test.each([
    ['^(?i)(abort|warn)?$', ['abort', 'WARN', 'Abort', ''], ['bogus', 'abortx']],
    ['^x(?i)[a-c]z$', ['xaz', 'xCZ', 'xbZ'], ['Xaz', 'xdz']],
    ['^(http|https)://.+$', ['http://a'], ['HTTP://a']],
  ])('%s', (pattern, yes, no) => {
    const re = new RegExp(translateGoPattern(pattern), 'u');
    for (const s of yes) expect(re.test(s)).toBe(true);
    for (const s of no) expect(re.test(s)).toBe(false);
  });

  test('every vendored CRD pattern compiles in JavaScript after translation', () => {
    const patterns: string[] = [];
    const walk = (n: any) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        if (typeof n.pattern === 'string') patterns.push(n.pattern);
        Object.values(n).forEach(walk);
      }
    };
    walk([...loadCrdSchemas().values()]);
    expect(patterns.length).toBeGreaterThan(10);
    for (const p of patterns) expect(() => new RegExp(p, 'u')).not.toThrow();
  });
});

describe('every PodMonitor scrapes a port its pods have', () => {
  // The pods the operator makes, with the labels and metrics port CloudNativePG gives them
  // (pkg/specs/pods.go, pkg/specs/pgbouncer/deployments.go: containerPort named `metrics`).
  const operatorPods: { labels: Record<string, string>; ports: string[] }[] = [
    { labels: { 'cnpg.io/cluster': 'ocw-db', 'cnpg.io/podRole': 'instance' }, ports: ['metrics'] },
    { labels: { 'cnpg.io/poolerName': 'ocw-db-pooler', 'cnpg.io/podRole': 'pooler' }, ports: ['metrics'] },
  ];
  const chartPods = on.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)).map((o) => ({
    labels: podMetaOf(o).labels as Record<string, string>,
    ports: podSpecOf(o).containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name)),
  }));
  const matches = (sel: any, labels: Record<string, string>) =>
    Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
    && (sel.matchExpressions ?? []).every((e: any) => e.operator === 'In' && e.values.includes(labels[e.key]));

  test.each(on.filter((o) => o.kind === 'PodMonitor').map((o) => [o.metadata.name, o] as const))('%s', (_name, pm) => {
    const pods = [...chartPods, ...operatorPods].filter((p) => matches(pm.spec.selector, p.labels));
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) expect(p.ports).toContain(pm.spec.podMetricsEndpoints[0].port);
  });

  test('the web exporter and every Sidekiq group are selected by the Mastodon PodMonitor, web itself no more', () => {
    const pm = find(on, 'PodMonitor', 'ocw-mastodon');
    const selected = on.filter((o) => o.kind === 'Deployment' && matches(pm.spec.selector, podMetaOf(o).labels)).map((o) => o.metadata.name).sort();
    expect(selected).toEqual(['ocw-sidekiq-default', 'ocw-sidekiq-pull', 'ocw-sidekiq-push', 'ocw-web-metrics']);
  });

  test('the Redis PodMonitor (still ocw-redis) selects the exporter Deployment, not the Redis pod', () => {
    const pm = find(on, 'PodMonitor', 'ocw-redis');
    const selected = on.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && matches(pm.spec.selector, podMetaOf(o).labels)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(selected).toEqual(['Deployment/ocw-redis-metrics']);
  });
});

describe('the exporters', () => {
  const web = podSpecOf(find(on, 'Deployment', 'ocw-web'));
  const env = (c: any) => Object.fromEntries((c.env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));

  test('Puma sends to the web-metrics Service; the web pod runs Puma alone, so a failing exporter cannot take it out of the Service', () => {
    expect(web.containers.map((c: any) => c.name)).toEqual(['web']);
    const [puma] = web.containers;
    expect(env(puma)).toMatchObject({ MASTODON_PROMETHEUS_EXPORTER_ENABLED: 'true', PROMETHEUS_EXPORTER_HOST: 'ocw-web-metrics', PROMETHEUS_EXPORTER_PORT: '9394' });
    // Puma is multi-process: the in-process server would bind once per worker and fail.
    expect(env(puma)).not.toHaveProperty('MASTODON_PROMETHEUS_EXPORTER_LOCAL');
    // Nothing of the exporter is left in the web pod: no port, no probe on 9394.
    expect(puma.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(JSON.stringify([puma.startupProbe, puma.readinessProbe, puma.livenessProbe])).not.toMatch(/9394/);
  });

  // The web exporter's own Deployment and Service: test/constructs/web-metrics.test.ts.

  test('each Sidekiq pod serves its own metrics in-process, with the per-queue metrics on', () => {
    for (const name of ['ocw-sidekiq-default', 'ocw-sidekiq-push', 'ocw-sidekiq-pull']) {
      const [c] = podSpecOf(find(on, 'Deployment', name)).containers;
      expect(env(c)).toMatchObject({
        MASTODON_PROMETHEUS_EXPORTER_ENABLED: 'true',
        MASTODON_PROMETHEUS_EXPORTER_LOCAL: 'true',
        MASTODON_PROMETHEUS_EXPORTER_HOST: '0.0.0.0',
        MASTODON_PROMETHEUS_EXPORTER_PORT: '9394',
        MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS: 'true',
      });
      expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9394, protocol: 'TCP' }]);
    }
  });

  test('the metrics variables stay out of the shared ConfigMap (migrations and tootctl run no exporter)', () => {
    expect(JSON.stringify(find(on, 'ConfigMap', 'ocw-env'))).not.toMatch(/PROMETHEUS/);
    expect(JSON.stringify(on.filter((o) => ['Job', 'CronJob'].includes(o.kind)))).not.toMatch(/PROMETHEUS/);
  });

  test('every pod passes the pod policy with the exporters in it (non-root, read-only root, probes, resources)', () => {
    expect(podPolicyOffences(on)).toEqual([]);
  });

  test('the planner counts the exporters (the web exporter as its own pod)', () => {
    const memory = (objects: any[], owner: string) => podsFromObjects(objects).find((p) => p.owner === owner)!.memory;
    expect(memory(on, 'Deployment/ocw-web')).toBe(memory(off, 'Deployment/ocw-web'));
    expect(memory(on, 'Deployment/ocw-web-metrics')).toBe(96 * 2 ** 20);
    expect(podsFromObjects(off).some((p) => p.owner === 'Deployment/ocw-web-metrics')).toBe(false);
    // redis_exporter is its own pod: Redis's pod is the same with monitoring on or off.
    expect(memory(on, 'StatefulSet/ocw-redis')).toBe(memory(off, 'StatefulSet/ocw-redis'));
    expect(memory(on, 'Deployment/ocw-redis-metrics')).toBe(32 * 2 ** 20);
    expect(podsFromObjects(off).some((p) => p.owner === 'Deployment/ocw-redis-metrics')).toBe(false);
    const big = withChange(monitoringOn({ webExporter: { resources: { requests: { cpu: '20m', memory: '6Gi' }, limits: { memory: '6Gi' } } } }), () => undefined);
    // 6Gi is more than any cloud VM keeps for pods (8Gi − reserve − control plane): the plan says so.
    expect(planConfig(resolved(monitoringOn())).ok).toBe(true);
    expect(planConfig(resolved(big)).ok).toBe(false);
  });
});

describe('NetworkPolicies: Prometheus in, on exactly the metrics ports', () => {
  const policiesOf = (objects: any[]) => objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
  const ns = 'mastodon';
  const podOf = (objects: any[], kind: string, name: string): End => ({ kind: 'pod', namespace: ns, labels: podMetaOf(find(objects, kind, name)).labels });
  const targets = (objects: any[]) => ({
    web: podOf(objects, 'Deployment', 'ocw-web'),
    // Absent with monitoring off: stands for the pods it would have.
    webMetrics: objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'ocw-web-metrics') ? podOf(objects, 'Deployment', 'ocw-web-metrics')
      : { kind: 'pod', namespace: ns, labels: { 'app.kubernetes.io/instance': 'ocw', 'app.kubernetes.io/component': 'web-metrics' } } as End,
    sidekiq: podOf(objects, 'Deployment', 'ocw-sidekiq-push'),
    streaming: podOf(objects, 'Deployment', 'ocw-streaming'),
    redis: podOf(objects, 'StatefulSet', 'ocw-redis'),
    redisMetrics: objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'ocw-redis-metrics') ? podOf(objects, 'Deployment', 'ocw-redis-metrics')
      : { kind: 'pod', namespace: ns, labels: { 'app.kubernetes.io/instance': 'ocw', 'app.kubernetes.io/component': 'redis-metrics' } } as End,
    tunnel: podOf(objects, 'Deployment', 'ocw-tunnel'),
    db: { kind: 'pod', namespace: ns, labels: { 'cnpg.io/cluster': 'ocw-db', 'cnpg.io/podRole': 'instance' } } as End,
    pooler: { kind: 'pod', namespace: ns, labels: { ...find(objects, 'Pooler', 'ocw-db-pooler').spec.template.metadata.labels, 'cnpg.io/poolerName': 'ocw-db-pooler' } } as End,
  });
  const prometheus: End = { kind: 'pod', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
  const grafana: End = { kind: 'pod', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'grafana' } };
  const elsewhere: End = { kind: 'pod', namespace: 'default', labels: { 'app.kubernetes.io/name': 'prometheus' } };
  const metricsPorts = { webMetrics: 9394, sidekiq: 9394, streaming: 4000, redisMetrics: 9121, tunnel: 2000, db: 9187, pooler: 9127 } as const;
  const otherPorts = { web: 3000, sidekiq: 8080, streaming: 9394, redis: 6379, tunnel: 7844, db: 5432, pooler: 5432, webMetrics: 3000, redisMetrics: 6379 } as const;
  const t = targets(on);
  const p = policiesOf(on);

  test.each(Object.entries(metricsPorts))('Prometheus reaches %s on %i', (name, port) => {
    expect(canReach(p, { from: prometheus, to: t[name as keyof typeof t], port })).toBe(true);
  });
  test.each(Object.entries(metricsPorts))('another namespace does not reach %s on %i', (name, port) => {
    expect(canReach(p, { from: elsewhere, to: t[name as keyof typeof t], port })).toBe(false);
  });
  test.each(Object.entries(otherPorts))('Prometheus does not reach %s on %i', (name, port) => {
    expect(canReach(p, { from: prometheus, to: t[name as keyof typeof t], port })).toBe(false);
  });

  test('web reaches its exporter on 9394; nothing else of the namespace does; web itself no longer serves 9394', () => {
    expect(canReach(p, { from: t.web, to: t.webMetrics, port: 9394 })).toBe(true);
    for (const other of [t.sidekiq, t.streaming, t.tunnel, t.redis]) expect(canReach(p, { from: other, to: t.webMetrics, port: 9394 })).toBe(false);
    expect(canReach(p, { from: prometheus, to: t.web, port: 9394 })).toBe(false);
    // The exporter opens no connection at all.
    expect(canReach(p, { from: t.webMetrics, to: t.redis, port: 6379 })).toBe(false);
    expect(canReach(p, { from: t.webMetrics, to: t.db, port: 5432 })).toBe(false);
  });

  test('the Redis exporter reaches Redis on 6379 and nothing else; Redis itself no longer serves 9121', () => {
    expect(canReach(p, { from: t.redisMetrics, to: t.redis, port: 6379 })).toBe(true);
    expect(canReach(p, { from: prometheus, to: t.redis, port: 9121 })).toBe(false);
    expect(canReach(p, { from: t.redisMetrics, to: t.db, port: 5432 })).toBe(false);
    expect(canReach(p, { from: t.redisMetrics, to: t.pooler, port: 5432 })).toBe(false);
    for (const other of [t.web, t.sidekiq, t.tunnel]) expect(canReach(p, { from: other, to: t.redisMetrics, port: 9121 })).toBe(false);
  });

  test('prometheusPodLabels narrows the allow to the Prometheus pods of the namespace', () => {
    const objects = render(monitoringOn({ prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' } }));
    const pol = policiesOf(objects);
    const tt = targets(objects);
    for (const [name, port] of Object.entries(metricsPorts)) {
      expect(canReach(pol, { from: prometheus, to: tt[name as keyof typeof tt], port })).toBe(true);
      expect(canReach(pol, { from: grafana, to: tt[name as keyof typeof tt], port })).toBe(false);
    }
  });

  test('monitoring.namespace is the namespace let in', () => {
    const objects = render(monitoringOn({ namespace: 'observability' }));
    const pol = policiesOf(objects);
    const tt = targets(objects);
    expect(canReach(pol, { from: { ...prometheus, namespace: 'observability' }, to: tt.webMetrics, port: 9394 })).toBe(true);
    expect(canReach(pol, { from: prometheus, to: tt.webMetrics, port: 9394 })).toBe(false);
  });

  test('with monitoring off, no metrics port is open to anyone', () => {
    const pol = policiesOf(off);
    const tt = targets(off);
    for (const [name, port] of Object.entries({ ...metricsPorts, web: 9394 })) {
      expect(canReach(pol, { from: prometheus, to: tt[name as keyof typeof tt], port })).toBe(false);
    }
  });
});

describe('config', () => {
  test('defaults: namespace monitoring, monitor labels follow the rule labels, base backups may be 30 hours old (daily + 6 h)', () => {
    const m = resolved(monitoringOn()).resolvedMonitoring!;
    expect(m.namespace).toBe('monitoring');
    expect(m.monitorLabels).toEqual({ release: 'kube-prometheus-stack' });
    expect(m.baseBackupMaxAgeSeconds).toBe(30 * 3600);
    expect(resolved().resolvedMonitoring).toBeUndefined();
  });

  test('a network.monitoringNamespace that differs from monitoring.namespace is refused with a fix', () => {
    const errors = errorsOf(withChange(monitoringOn(), (c) => { c.network = { ...c.network, monitoringNamespace: 'prom' }; }));
    expect(messageAt(errors, 'network.monitoringNamespace')).toMatch(/remove network.monitoringNamespace or set both/);
  });

  test('bad labels and durations name their path', () => {
    const errors = errorsOf(monitoringOn({ ruleLabels: { release: 'kube prometheus' }, scrapeInterval: '30' }));
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining(['monitoring.ruleLabels.release', 'monitoring.scrapeInterval']));
  });

  test('without rule or monitor labels a warning says kube-prometheus-stack would ignore the rules and PodMonitors, and how to fix it', () => {
    const bare = resolved(withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true }; })).warnings.join('\n');
    expect(bare).toMatch(/monitoring.ruleLabels: empty, .* ignores the alert rules .*\.ruleSelectorNilUsesHelmValues: false/);
    expect(bare).toMatch(/monitoring.monitorLabels: empty, .* ignores the PodMonitors, .*\.podMonitorSelectorNilUsesHelmValues: false/);
    expect(resolved(monitoringOn()).warnings.join('\n')).not.toMatch(/monitoring\./);
    const noMonitorLabels = resolved(monitoringOn({ monitorLabels: {} })).warnings.join('\n');
    expect(noMonitorLabels).toMatch(/monitoring.monitorLabels: empty/);
    expect(noMonitorLabels).not.toMatch(/monitoring.ruleLabels/);
  });

  test('the example config still resolves with monitoring on', () => {
    expect(resolveConfig(monitoringOn()).ok).toBe(true);
  });
});

describe('the longest gap of a CloudNativePG schedule', () => {
  test.each([
    ['0 0 3 * * *', 24 * 3600],
    ['0 0 0 * * 0', 7 * 86400],
    ['0 30 */6 * * *', 6 * 3600],
    ['0 0 3 * * 1-5', 3 * 86400],
    ['0 0 3 1 * *', 31 * 86400],
    ['@weekly', 7 * 86400],
    ['@hourly', 3600],
    ['0 0 3 * * sun', 7 * 86400],
  ])('%s → %i s', (schedule, gap) => {
    expect(longestGapSeconds(schedule)).toBe(gap);
  });
  test.each(['0 0 3 * *', 'garbage', '0 0 25 * * *', '0 0 3 31 2 *'])('%s cannot be read', (schedule) => {
    expect(longestGapSeconds(schedule)).toBeUndefined();
  });
});

describe('replication slot state: one custom CloudNativePG query', () => {
  test('monitoring on: a ConfigMap with the query, referenced by the Cluster, reloaded on change', () => {
    const cm = find(on, 'ConfigMap', 'ocw-db-monitoring');
    expect(cm.metadata.labels?.['cnpg.io/reload']).toBe('true');
    const queries = parse(cm.data.queries);
    expect(Object.keys(queries)).toEqual(['mastodon_replication_slots']);
    expect(queries.mastodon_replication_slots.query).toMatch(/wal_status = 'lost'/);
    expect(queries.mastodon_replication_slots.metrics.map((m: any) => [Object.keys(m)[0], Object.values<any>(m)[0].usage]))
      .toEqual([['slot_name', 'LABEL'], ['lost', 'GAUGE'], ['unreserved', 'GAUGE']]);
    expect(find(on, 'Cluster', 'ocw-db').spec.monitoring).toEqual({ customQueriesConfigMap: [{ name: 'ocw-db-monitoring', key: 'queries' }] });
  });

  test('monitoring off: neither the ConfigMap nor spec.monitoring', () => {
    expect(off.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'ocw-db-monitoring')).toBe(false);
    expect(find(off, 'Cluster', 'ocw-db').spec.monitoring).toBeUndefined();
  });
});

// The PodMonitors and the alert rules of Monitoring alone: test/constructs/monitoring.test.ts.
