/**
 * SidekiqScaling alone in a blank cdk8s Chart: the KEDA ScaledObjects and TriggerAuthentication.
 * Whether they target the right Deployments, and what those Deployments then leave out:
 * test/catch-up.test.ts.
 */
import { Testing } from 'cdk8s';
import { SidekiqScaling } from '../../lib/sidekiq-scaling';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import type { ResolvedConfig } from '../../lib/model';
import { exampleRaw, find, resolved, withChange } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { stopped, tinyConfig } from './tiny-config';

function build(config: ResolvedConfig) {
  const chart = Testing.chart();
  const scaling = new SidekiqScaling(chart, 'scaling', { config });
  return { scaling, objects: Testing.synth(chart) };
}
/** The smallest config with KEDA: a scheduler group and one scalable group. */
const tinyKeda = (change: (c: any) => void = () => undefined) => resolveConfigOrThrow(tinyConfig((c) => {
  c.sidekiq = {
    keda: {},
    processes: [
      { name: 'sched', queues: ['scheduler', 'mailers'] },
      { name: 'main', queues: ['default', 'push', 'pull'], scaling: { maxReplicas: 4 } },
      { name: 'rest', queues: ['ingress', 'fasp'] },
    ],
  };
  change(c);
}));
const scaled = (objs: any[]) => objs.filter((o) => o.kind === 'ScaledObject');
/** The example's config (Sidekiq groups push and pull scale with KEDA), changed. */
const withScaling = (change: (c: any) => void) => resolved(withChange(exampleRaw(), change));

describe('alone, from the smallest config with KEDA', () => {
  const { scaling, objects } = build(tinyKeda());
  const so = find(objects, 'ScaledObject', 'tiny-sidekiq-main');

  test('one ScaledObject, for the scalable group only, named and aimed at its Deployment; no TriggerAuthentication without a password', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ScaledObject/tiny-sidekiq-main']);
    expect(Object.keys(scaling.scaledObjects)).toEqual(['main']);
    expect(scaling.triggerAuthentication).toBeUndefined();
    expect(so.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'tiny-sidekiq-main' });
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s and the KEDA CRDs', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('one redis trigger per queue, in order, on the list Sidekiq uses, at the external Redis host, with the defaults', () => {
    expect(so.spec.triggers.map((t: any) => [t.name, t.metadata.listName])).toEqual([['queue-default', 'queue:default'], ['queue-push', 'queue:push'], ['queue-pull', 'queue:pull']]);
    for (const t of so.spec.triggers) {
      expect(t).toMatchObject({ type: 'redis', useCachedMetrics: true, metadata: { address: 'redis.example:6379', listLength: '500', databaseIndex: '0' } });
      expect(t.authenticationRef).toBeUndefined();
    }
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([1, 4]);
    expect(so.spec.fallback).toEqual({ failureThreshold: 3, replicas: 1, behavior: 'currentReplicasIfHigher' });
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] });
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleUp).toEqual({ stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] });
  });
});

describe('what the config changes', () => {
  test('without sidekiq.keda: nothing', () => {
    const { scaling, objects } = build(resolveConfigOrThrow(tinyConfig()));
    expect(objects).toEqual([]);
    expect(scaling.scaledObjects).toEqual({});
  });

  test('maintenance.stopWorkloads: nothing, so the stopped groups stay at 0', () => {
    const { scaling, objects } = build(tinyKeda(stopped));
    expect(objects).toEqual([]);
    expect(scaling.scaledObjects).toEqual({});
  });

  test('an internal Redis is dialled by its Service name, qualified with the namespace (KEDA runs in another one)', () => {
    const so = find(build(tinyKeda((c) => { c.redis = { mode: 'internal' }; })).objects, 'ScaledObject', 'tiny-sidekiq-main');
    for (const t of so.spec.triggers) expect(t.metadata.address).toBe('tiny-redis.mastodon.svc:6379');
  });

  test('pollingSeconds is how often Redis is read: every trigger serves the HPA from KEDA\'s cache', () => {
    // Without useCachedMetrics every HPA sync (15 s) has the operator read Redis itself, and
    // pollingInterval only paces KEDA's activation loop, which matters only at minReplicaCount 0:
    // KEDA's webhook says so (kedacore/keda apis/keda/v1alpha1/scaledobject_webhook.go,
    // verifyScaledObjects: "PollingInterval is configured but is not relevant"), and the HPA is
    // served from the cache only for triggers with useCachedMetrics (pkg/scaling/scale_handler.go).
    const objs = build(withScaling((c) => { c.sidekiq.keda.pollingSeconds = 45; })).objects;
    expect(scaled(objs)).toHaveLength(2);
    for (const so of scaled(objs)) {
      expect(so.spec.pollingInterval).toBe(45);
      expect(so.spec.minReplicaCount).toBeGreaterThan(0);
      for (const t of so.spec.triggers) expect(t.useCachedMetrics).toBe(true);
    }
  });

  test('with a Redis password: a TriggerAuthentication reads it from the Secret, and every trigger uses it', () => {
    const objs = build(withScaling((c) => { c.redis.passwordSecret = { name: 'ocw-redis', key: 'password' }; })).objects;
    const auth = find(objs, 'TriggerAuthentication', 'ocw-sidekiq-redis-auth');
    expect(auth.spec).toEqual({ secretTargetRef: [{ parameter: 'password', name: 'ocw-redis', key: 'password' }] });
    for (const so of scaled(objs)) for (const t of so.spec.triggers) expect(t.authenticationRef).toEqual({ name: 'ocw-sidekiq-redis-auth' });
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(objs)).toEqual([]);
  });

  test('an external Redis is dialled at its own host and port', () => {
    const objs = build(withScaling((c) => { c.redis = { mode: 'external', host: 'redis.example.internal', port: 6380 }; })).objects;
    expect(find(objs, 'ScaledObject', 'ocw-sidekiq-push').spec.triggers[0].metadata.address).toBe('redis.example.internal:6380');
  });

  test('a process\'s scaling settings: bounds, backlog per pod, cooldown and stabilization', () => {
    const so = find(build(tinyKeda((c) => {
      c.sidekiq.processes[1].replicas = 2;
      c.sidekiq.processes[1].scaling = { maxReplicas: 6, backlogPerReplica: 100, cooldownSeconds: 120, scaleDownStabilizationSeconds: 900 };
    })).objects, 'ScaledObject', 'tiny-sidekiq-main');
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount, so.spec.fallback.replicas]).toEqual([2, 6, 2]);
    expect(so.spec.triggers[0].metadata.listLength).toBe('100');
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 900, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] });
  });
});
