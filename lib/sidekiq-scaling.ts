import { Construct } from 'constructs';
import { ScaledObject, ScaledObjectSpecFallbackBehavior, ScaledObjectSpecTriggers } from '../imports/keda-scaledobject-keda.sh';
import { TriggerAuthentication } from '../imports/keda-triggerauthentication-keda.sh';
import { Identity } from './conventions/labels';
import { resourceName } from './rules/names';
import { objectMeta } from './conventions/workload';
import {
  FALLBACK_FAILURE_THRESHOLD, kedaRedisAddress, redisTriggerAuthName, SCALE_UP_PERIOD_SECONDS, sidekiqQueueKey, sidekiqReplicas,
} from './rules/sidekiq-scaling';
import type { ResolvedConfig, ResolvedSidekiqProcess } from './model';

/** Props for {@link SidekiqScaling}. */
export interface SidekiqScalingProps {
  /** The resolved configuration (with `sidekiq.keda`). */
  readonly config: ResolvedConfig;
}

/**
 * KEDA catch-up scaling: one ScaledObject per scalable Sidekiq group, with one `redis` trigger
 * per queue the group serves (listName `queue:<name>`, listLength the backlog per pod), and a
 * TriggerAuthentication that reads the Redis password from its Secret. The HPA KEDA makes asks
 * each trigger for ceil(backlog / backlogPerReplica) pods and runs the largest answer, between
 * the group's replicas and maxReplicas. The scheduler group never gets one. Nothing is made
 * while `maintenance.stopWorkloads` is on, so the workloads stay at 0.
 */
export class SidekiqScaling extends Construct {
  /** ScaledObjects by process name. */
  public readonly scaledObjects: Readonly<Record<string, ScaledObject>>;
  /** Present when Redis has a password. */
  public readonly triggerAuthentication?: TriggerAuthentication;

  constructor(scope: Construct, id: string, props: SidekiqScalingProps) {
    super(scope, id);
    const c = props.config;
    const keda = c.sidekiq.keda;
    const out: Record<string, ScaledObject> = {};
    this.scaledObjects = out;
    if (!keda || c.maintenance.stopWorkloads) return;
    const identity = (process?: string): Identity => ({ instance: c.name, component: 'sidekiq', version: c.images.mastodon.tag, ...(process ? { process } : {}) });
    const password = c.redis.passwordSecret;
    if (password) {
      this.triggerAuthentication = new TriggerAuthentication(this, 'RedisAuth', {
        metadata: objectMeta(redisTriggerAuthName(c.name), identity(), 'config'),
        spec: { secretTargetRef: [{ parameter: 'password', name: password.name, key: password.key }] },
      });
    }
    const address = kedaRedisAddress(c);
    for (const p of c.sidekiq.processes) {
      const r = sidekiqReplicas(p, c.sidekiq);
      if (!r.keda) continue;
      out[p.name] = this.scaledObject(c, p, r.minReplicas, r.maxReplicas, address, keda.pollingSeconds, identity(p.name));
    }
  }

  private scaledObject(c: ResolvedConfig, p: ResolvedSidekiqProcess, min: number, max: number, address: string, polling: number, id: Identity): ScaledObject {
    if (p.servesScheduler) throw new Error(`process '${p.name}' serves the scheduler queue and must never scale`);
    const s = p.scaling!;
    const deployment = resourceName(c.name, 'sidekiq', p.name);
    const triggers: ScaledObjectSpecTriggers[] = p.queues.map((q) => ({
      type: 'redis',
      name: `queue-${q}`,
      metadata: { address, listName: sidekiqQueueKey(q), listLength: String(s.backlogPerReplica), databaseIndex: '0' },
      // The HPA is served the length KEDA read at its last poll: Redis is read once per
      // pollingInterval. Without it every HPA sync reads Redis and pollingInterval is moot at
      // minReplicaCount >= 1 (kedacore/keda pkg/scaling/scale_handler.go; its webhook warns).
      useCachedMetrics: true,
      ...(this.triggerAuthentication ? { authenticationRef: { name: this.triggerAuthentication.name } } : {}),
    }));
    return new ScaledObject(this, `Scaled-${p.name}`, {
      metadata: objectMeta(deployment, id, 'workloads'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
        pollingInterval: polling,
        minReplicaCount: min,
        maxReplicaCount: max,
        // The queues cannot be read: hold the pods that run, never below the floor. KEDA then
        // reports max(current, replicas) pods (kedacore/keda pkg/fallback/fallback.go,
        // doFallback, currentReplicasIfHigher). The likely blind cases are KEDA's alone (its
        // Secret access, its namespace's egress, a relabelled operator) while Sidekiq still
        // works through a backlog: dropping to the floor then would remove catch-up pods
        // mid-backlog. The plan proved the maximum fits, so holding costs nothing unbudgeted.
        fallback: { failureThreshold: FALLBACK_FAILURE_THRESHOLD, replicas: min, behavior: ScaledObjectSpecFallbackBehavior.CURRENT_REPLICAS_IF_HIGHER },
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: {
              scaleUp: {
                stabilizationWindowSeconds: 0,
                policies: [{ type: 'Pods', value: 1, periodSeconds: SCALE_UP_PERIOD_SECONDS }],
              },
              scaleDown: {
                stabilizationWindowSeconds: s.scaleDownStabilizationSeconds,
                policies: [{ type: 'Pods', value: 1, periodSeconds: s.cooldownSeconds }],
              },
            },
          },
        },
        triggers,
      },
    });
  }
}
