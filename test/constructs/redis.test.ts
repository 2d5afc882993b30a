/**
 * Redis alone in a blank cdk8s Chart: what its props render. Its settings are the `redis:`
 * section of the smallest config with `mode: internal` (every field at its default).
 */
import { Testing } from 'cdk8s';
import { REDIS_MAXMEMORY_SHARE, Redis, RedisProps } from '../../lib/redis';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { tinyConfig } from './tiny-config';

function internalRedis(change: (r: any) => void = () => undefined) {
  const c = resolveConfigOrThrow(tinyConfig((raw) => { raw.redis = { mode: 'internal' }; change(raw.redis); }));
  if (c.redis.mode !== 'internal') throw new Error('expected internal Redis');
  return { redis: c.redis, config: c };
}
function build(props: Partial<RedisProps> = {}, change?: (r: any) => void) {
  const { redis, config } = internalRedis(change);
  const chart = Testing.chart();
  const { mode: _internal, ...settings } = redis;
  const construct = new Redis(chart, 'redis', { instance: 'tiny', ...settings, poolLabel: config.nodes.poolLabel, image: config.images.redis, ...props });
  return { construct, config, objects: Testing.synth(chart) };
}
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const pingOf = (p: any) => p.exec.command;

describe('alone, with the config defaults', () => {
  const { construct, objects } = build();
  const sts = find(objects, 'StatefulSet', 'tiny-redis');
  const spec = podSpecOf(sts);
  const c = spec.containers[0];

  test('a StatefulSet and its Service, both <instance>-redis, and nothing else', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Service/tiny-redis', 'StatefulSet/tiny-redis']);
    expect(construct.statefulSet.name).toBe('tiny-redis');
    expect(construct.service.name).toBe('tiny-redis');
    expect(sts.spec.serviceName).toBe('tiny-redis');
    expect(sts.spec.replicas).toBe(1);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('AOF on a PVC, noeviction, maxmemory under the limit', () => {
    expect(c.args).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    const maxmemory = Number(c.args[c.args.indexOf('--maxmemory') + 1]);
    expect(maxmemory).toBe(Math.floor(512 * 2 ** 20 * 0.75));
    expect(REDIS_MAXMEMORY_SHARE).toBe(0.75);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('2Gi');
    expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(c.securityContext.runAsUser).toBe(999);
  });

  test('on the cloud pool', () => {
    const pool = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions.find((e: any) => e.key === 'node-pool');
    expect(pool.values).toEqual(['cloud']);
  });

  test('args, not command (the image entrypoint stays PID 1\'s parent), no password, probes that compare the PING answer', () => {
    expect(c.command).toBeUndefined();
    expect(c.args[0]).toBe('redis-server');
    expect(c.args).not.toContain('--requirepass');
    expect(c.env).toEqual([]);
    for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect(pingOf(p)).toEqual(['sh', '-c', 'test "$(redis-cli ping)" = PONG']);
  });

  test('the volume is kept when the StatefulSet is deleted or scaled down; no storage class unless named', () => {
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
  });

  test('a headless Service on 6379 (the StatefulSet\'s) selecting the Redis pod; no priority class, no exporter', () => {
    const svc = find(objects, 'Service', 'tiny-redis');
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: 'None' });
    expect(svc.spec.ports).toEqual([{ name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' }]);
    expect(Object.entries(svc.spec.selector).every(([k, v]) => sts.spec.template.metadata.labels[k] === v)).toBe(true);
    expect(spec.priorityClassName).toBeUndefined();
    expect(spec.containers.map((x: any) => x.name)).toEqual(['redis']);
  });
});

describe('props change what they should', () => {
  test('a password comes from a Secret, and the probes use it', () => {
    const c = podSpecOf(find(build({}, (r) => { r.passwordSecret = { name: 'tiny-redis', key: 'password' }; }).objects, 'StatefulSet', 'tiny-redis')).containers[0];
    expect(c.args.slice(-2)).toEqual(['--requirepass', '$(REDIS_PASSWORD)']);
    expect(envOf(c).REDIS_PASSWORD).toEqual({ secretKeyRef: { name: 'tiny-redis', key: 'password' } });
    expect(envOf(c).REDISCLI_AUTH).toEqual({ secretKeyRef: { name: 'tiny-redis', key: 'password' } });
  });

  test('memory limit, storage size and class, pool, priority class', () => {
    const { objects } = build({ priorityClassName: 'tiny-data' }, (r) => {
      r.resources = { requests: { cpu: '50m', memory: '1Gi' }, limits: { memory: '2Gi' } };
      r.storage = { size: '10Gi', storageClass: 'local-path' };
      r.pool = 'onprem';
    });
    const sts = find(objects, 'StatefulSet', 'tiny-redis');
    const spec = podSpecOf(sts);
    const c = spec.containers[0];
    expect(Number(c.args[c.args.indexOf('--maxmemory') + 1])).toBe(Math.floor(2 * 2 ** 30 * 0.75));
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'local-path', resources: { requests: { storage: '10Gi' } } });
    expect(spec.priorityClassName).toBe('tiny-data');
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toContainEqual({ key: 'node-pool', operator: 'In', values: ['onprem'] });
  });

  describe('redis_exporter (monitoring on): its own Deployment, so its failure never makes Redis unready', () => {
    const { config } = internalRedis();
    const { construct, objects } = build({ priorityClassName: 'tiny-data', metricsExporter: { image: config.images.redisExporter, resources: config.monitoring.redisExporter.resources, priorityClassName: 'tiny-workers' } },
      (r) => { r.passwordSecret = { name: 'redis-auth', key: 'password' }; r.pool = 'onprem'; });
    const sts = find(objects, 'StatefulSet', 'tiny-redis');
    const dep = find(objects, 'Deployment', 'tiny-redis-metrics');
    const spec = podSpecOf(dep);
    const exporter = spec.containers[0];

    test('the Redis pod holds only Redis; the exporter is Deployment tiny-redis-metrics, one replica, no PDB', () => {
      expect(podSpecOf(sts).containers.map((c: any) => c.name)).toEqual(['redis']);
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Deployment/tiny-redis-metrics', 'Service/tiny-redis', 'StatefulSet/tiny-redis']);
      expect(construct.metrics?.name).toBe('tiny-redis-metrics');
      expect(dep.spec.replicas).toBe(1);
      expect(spec.containers.map((c: any) => c.name)).toEqual(['metrics']);
    });

    test('its labels select neither the Redis pod nor the Redis Service', () => {
      const svc = find(objects, 'Service', 'tiny-redis');
      const podLabels = dep.spec.template.metadata.labels;
      expect(podLabels['app.kubernetes.io/component']).toBe('redis-metrics');
      expect(Object.entries(svc.spec.selector).every(([k, v]) => podLabels[k] === v)).toBe(false);
      expect(Object.entries(sts.spec.selector.matchLabels).every(([k, v]) => podLabels[k] === v)).toBe(false);
      expect(Object.entries(dep.spec.selector.matchLabels).every(([k, v]) => sts.spec.template.metadata.labels[k] === v)).toBe(false);
    });

    test('pinned, reaches Redis through its Service by the bare name, with the password from the same Secret key', () => {
      expect(exporter.image).toBe('docker.io/oliver006/redis_exporter:v1.88.0');
      expect(exporter.env).toEqual([
        { name: 'REDIS_ADDR', value: 'redis://tiny-redis:6379' },
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } } },
      ]);
      expect(exporter.securityContext.runAsUser).toBe(59000);
      expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9121, protocol: 'TCP' }]);
    });

    test('its own probes and resources; placed on Redis\'s pool and the exporter image\'s architectures, below Redis in priority', () => {
      expect(exporter.readinessProbe.httpGet).toMatchObject({ path: '/health', port: 9121 });
      expect(exporter.livenessProbe.httpGet).toMatchObject({ path: '/health', port: 9121 });
      expect(exporter.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } });
      const terms = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
      expect(terms).toContainEqual({ key: 'node-pool', operator: 'In', values: ['onprem'] });
      expect(terms).toContainEqual({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] });
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.priorityClassName).toBe('tiny-workers');
      expect(podSpecOf(sts).priorityClassName).toBe('tiny-data');
    });

    test('it prefers a node without the Redis pod: losing one node then leaves redis_up 0 (RedisDown), not only a missing exporter', () => {
      const terms = spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      expect(terms).toEqual([{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: sts.spec.selector.matchLabels } } }]);
      expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    });

    test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (v) => {
      expect(new K8sValidator(v).validateAll(objects)).toEqual([]);
    });
  });
});

describe('from a few props: new Redis(chart, id, { instance })', () => {
  const chart = Testing.chart();
  const construct = new Redis(chart, 'redis', { instance: 'social' });
  const objects = Testing.synth(chart);
  const sts = find(objects, 'StatefulSet', 'social-redis');
  const spec = podSpecOf(sts);

  test('the StatefulSet and Service a MastodonEnvironment of the instance reaches by default (<instance>-redis:6379)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Service/social-redis', 'StatefulSet/social-redis']);
    expect(construct.service.name).toBe('social-redis');
    expect(find(objects, 'Service', 'social-redis').spec.ports[0].port).toBe(6379);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the config\'s defaults (image, 2Gi AOF volume, 256Mi/512Mi), but any node: no pool term', () => {
    expect(spec.containers[0].image).toBe('docker.io/library/redis:7.4.11-alpine');
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('2Gi');
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toEqual([{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }]);
  });

  test('with the config\'s pool given, it renders exactly what a config with nothing set renders', () => {
    const fromConfig = build().objects.map((o) => JSON.parse(JSON.stringify(o).replace(/tiny-redis/g, 'x').replace(/"tiny"/g, '"x"')));
    const c = Testing.chart();
    new Redis(c, 'redis', { instance: 'tiny', pool: 'cloud' });
    const alone = Testing.synth(c).map((o) => JSON.parse(JSON.stringify(o).replace(/tiny-redis/g, 'x').replace(/"tiny"/g, '"x"')));
    expect(alone).toEqual(fromConfig);
  });
});
