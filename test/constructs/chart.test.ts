/**
 * MastodonChart in a cdk8s Testing app, from the smallest config: which constructs the config
 * turns on, and what the chart adds to them (its namespace, names without hashes). The whole
 * example as the app renders it: test/chart.test.ts. The CloudNativePG and Prometheus Operator
 * objects are validated against their CRDs in their own constructs' tests (loading those schemas
 * costs about half a second each).
 */
import { Testing } from 'cdk8s';
import { MastodonChart } from '../../lib/chart';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { stopped, tinyConfig, withCnpg, withTunnel } from './tiny-config';

function build(change?: (c: any) => void) {
  const chart = new MastodonChart(Testing.app(), 'mastodon', { config: resolveConfigOrThrow(tinyConfig(change)) });
  return { chart, objects: Testing.synth(chart) };
}
const names = (objects: any[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('from the smallest config', () => {
  const { chart, objects } = build();

  test('web, streaming, one Sidekiq group, migrations, cleanup, the env ConfigMap, priorities and policies; no database, Redis or tunnel', () => {
    expect(names(objects)).toEqual([
      'ConfigMap/tiny-env',
      'CronJob/tiny-media-remove', 'CronJob/tiny-preview-cards-remove',
      'Deployment/tiny-sidekiq-all', 'Deployment/tiny-streaming', 'Deployment/tiny-web',
      'Job/tiny-db-migrate-post', 'Job/tiny-db-migrate-pre',
      ...['default-deny', 'dns', 'jobs', 'sidekiq', 'streaming', 'web'].map((n) => `NetworkPolicy/tiny-netpol-${n}`),
      'PodDisruptionBudget/tiny-streaming', 'PodDisruptionBudget/tiny-web',
      'PriorityClass/tiny-data', 'PriorityClass/tiny-frontend', 'PriorityClass/tiny-workers',
      'Service/tiny-streaming', 'Service/tiny-web',
    ]);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('typed handles to what it composed; the optional parts absent', () => {
    expect(chart.web.deployment.name).toBe('tiny-web');
    expect(chart.streaming.deployment.name).toBe('tiny-streaming');
    expect(Object.keys(chart.sidekiq)).toEqual(['all']);
    expect(chart.migrations?.pre.name).toBe('tiny-db-migrate-pre');
    expect(chart.cleanup.media.name).toBe('tiny-media-remove');
    expect(chart.environment.configMap.name).toBe('tiny-env');
    expect(chart.environment.priorityClasses).toBe(chart.priorityClasses);
    expect(chart.sidekiqScaling.scaledObjects).toEqual({});
    expect(chart.restarts.cronJobs).toEqual({});
    for (const part of [chart.postgres, chart.redis, chart.tunnel, chart.maintenance, chart.monitoring]) expect(part).toBeUndefined();
  });

  test('every object in the config\'s namespace but the cluster-scoped PriorityClasses; one set of them', () => {
    for (const o of objects) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, o.kind === 'PriorityClass' ? undefined : 'mastodon']);
    expect(objects.filter((o) => o.kind === 'PriorityClass')).toHaveLength(3);
    expect(chart.namespace).toBe('mastodon');
  });

  test('names are <name>-<part>, with no hash', () => {
    for (const o of objects) {
      expect(o.metadata.name).toMatch(/^tiny-[a-z0-9-]+$/);
      expect(o.metadata.name).not.toMatch(/-[0-9a-f]{8}$/);
    }
  });

  test('Mastodon reaches the external database and Redis the config names', () => {
    expect(find(objects, 'ConfigMap', 'tiny-env').data).toMatchObject({ DB_HOST: 'db.example', REDIS_HOST: 'redis.example', LOCAL_DOMAIN: 'tiny.example' });
  });
});

describe('what the config turns on', () => {
  test('namespace: every namespaced object moves with it', () => {
    const { objects } = build((c) => { c.namespace = 'social'; });
    for (const o of objects.filter((x) => x.kind !== 'PriorityClass')) expect(o.metadata.namespace).toBe('social');
  });

  test('CloudNativePG: the cluster, its pooler and backups; Mastodon goes through the pooler; the cluster and pooler at the frontend priority', () => {
    const { chart, objects } = build(withCnpg);
    expect(chart.postgres?.connection.host).toBe('tiny-db-pooler');
    expect(names(objects)).toEqual(expect.arrayContaining(['Cluster/tiny-db', 'Pooler/tiny-db-pooler', 'ObjectStore/tiny-db-store', 'ScheduledBackup/tiny-db-base']));
    expect(find(objects, 'ConfigMap', 'tiny-env').data.DB_HOST).toBe('tiny-db-pooler');
    expect(find(objects, 'Cluster', 'tiny-db').spec.priorityClassName).toBe('tiny-frontend');
  });

  test('internal Redis: the StatefulSet at the data priority, and Mastodon pointed at it', () => {
    const { chart, objects } = build((c) => { c.redis = { mode: 'internal' }; });
    expect(chart.redis?.service.name).toBe('tiny-redis');
    expect(podSpecOf(find(objects, 'StatefulSet', 'tiny-redis')).priorityClassName).toBe('tiny-data');
    expect(find(objects, 'ConfigMap', 'tiny-env').data).toMatchObject({ REDIS_HOST: 'tiny-redis', REDIS_PORT: '6379' });
  });

  test('a tunnel: the connectors at the frontend priority; the maintenance page only while maintenance is on', () => {
    const { chart, objects } = build(withTunnel);
    expect(chart.tunnel?.deployment.name).toBe('tiny-tunnel');
    expect(podSpecOf(find(objects, 'Deployment', 'tiny-tunnel')).priorityClassName).toBe('tiny-frontend');
    expect(chart.maintenance).toBeUndefined();
    const on = build((c) => { withTunnel(c); c.maintenance = { enabled: true }; });
    expect(on.chart.maintenance?.deployment.name).toBe('tiny-maintenance');
    expect(podSpecOf(find(on.objects, 'Deployment', 'tiny-maintenance')).priorityClassName).toBe('tiny-frontend');
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(on.objects)).toEqual([]);
  });

  test('stopped workloads: no migrations; web, streaming and Sidekiq at 0', () => {
    const { chart, objects } = build(stopped);
    expect(chart.migrations).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
    for (const n of ['tiny-web', 'tiny-streaming', 'tiny-sidekiq-all']) expect(find(objects, 'Deployment', n).spec.replicas).toBe(0);
  });

  test('monitoring: the PodMonitors and rules, and the web exporter', () => {
    const { chart, objects } = build((c) => { c.monitoring = { enabled: true }; });
    expect(chart.monitoring?.rules.name).toBe('tiny-alerts');
    expect(chart.web.metrics?.deployment.name).toBe('tiny-web-metrics');
    expect(names(objects)).toEqual(expect.arrayContaining(['PodMonitor/tiny-mastodon', 'PrometheusRule/tiny-alerts', 'Deployment/tiny-web-metrics']));
  });

  test('KEDA and restarts: the ScaledObjects and the restart CronJobs', () => {
    const { chart, objects } = build((c) => {
      c.sidekiq = { keda: {}, processes: [{ name: 'sched', queues: ['scheduler'] }, { name: 'main', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp'], scaling: { maxReplicas: 3 } }] };
      c.restarts = { web: '0 4 * * *' };
    });
    expect(Object.keys(chart.sidekiq)).toEqual(['sched', 'main']);
    expect(Object.keys(chart.sidekiqScaling.scaledObjects)).toEqual(['main']);
    expect(Object.keys(chart.restarts.cronJobs)).toEqual(['web']);
    expect(names(objects)).toEqual(expect.arrayContaining(['ScaledObject/tiny-sidekiq-main', 'CronJob/tiny-restart-web', 'NetworkPolicy/tiny-netpol-restart']));
  });
});
