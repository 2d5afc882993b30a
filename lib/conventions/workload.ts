/**
 * The building blocks every long-running workload shares: a Deployment with standard labels
 * and stable names, its PodDisruptionBudget, a ClusterIP Service, and container resources.
 */
import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity, selectorLabels, standardLabels } from './labels';
import { SyncPhase, waveAnnotations } from './ordering';
import type { ResourcesConfig } from '../model';

/** Requests for CPU and memory, a memory limit, and no CPU limit. */
export function containerResources(r: ResourcesConfig): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(r.requests.cpu), memory: k8s.Quantity.fromString(r.requests.memory) },
    limits: { memory: k8s.Quantity.fromString(r.limits.memory) },
  };
}

/** Metadata with a stable name, the standard labels and the phase's sync wave. */
export function objectMeta(name: string, id: Identity, phase: SyncPhase, annotations: Record<string, string> = {}): ApiObjectMetadata {
  return { name, labels: standardLabels(id), annotations: { ...waveAnnotations(phase), ...annotations } };
}

/** How a Deployment replaces its pods. */
export type UpdateStrategy =
  /** One new pod first, then an old one goes: never below the replica count. */
  | 'surge'
  /** Every old pod stops before a new one starts: for singletons such as the Sidekiq scheduler. */
  | 'recreate';

/** A Deployment and, for more than one replica, its PodDisruptionBudget. */
export interface DeploymentProps {
  /** Object name (also the PDB's name). */
  readonly name: string;
  /** Labels and selector. */
  readonly identity: Identity;
  /**
   * Pod count, or `undefined` when an autoscaler (a KEDA ScaledObject) owns it: then
   * `spec.replicas` is left out, so Argo CD and the HPA never fight over it.
   */
  readonly replicas: number | undefined;
  /** The most pods the Deployment may run (a PDB is made when it is above 1). @default replicas */
  readonly maxReplicas?: number;
  /** Deployment annotations. @default only the sync wave */
  readonly annotations?: Record<string, string>;
  /** How pods are replaced. */
  readonly strategy: UpdateStrategy;
  /** The pod spec. */
  readonly podSpec: k8s.PodSpec;
  /** Pod template annotations (e.g. a config checksum that rolls the pods). @default none */
  readonly podAnnotations?: Record<string, string>;
}

/** What deploymentWithBudget creates. */
export interface DeploymentResult {
  readonly deployment: k8s.KubeDeployment;
  /** Present when replicas > 1: keeps all but one pod up during node drains. */
  readonly budget?: k8s.KubePodDisruptionBudget;
}

/** Creates the Deployment (and its PDB) under `scope`. */
export function deploymentWithBudget(scope: Construct, p: DeploymentProps): DeploymentResult {
  const selector = selectorLabels(p.identity);
  const deployment = new k8s.KubeDeployment(scope, 'Deployment', {
    metadata: objectMeta(p.name, p.identity, 'workloads', p.annotations),
    spec: {
      ...(p.replicas !== undefined ? { replicas: p.replicas } : {}),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: p.strategy === 'recreate'
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
      template: {
        metadata: { labels: standardLabels(p.identity), ...(p.podAnnotations ? { annotations: p.podAnnotations } : {}) },
        spec: p.podSpec,
      },
    },
  });
  const budget = (p.maxReplicas ?? p.replicas ?? 1) > 1 ? new k8s.KubePodDisruptionBudget(scope, 'Budget', {
    metadata: objectMeta(p.name, p.identity, 'workloads'),
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  }) : undefined;
  return { deployment, budget };
}

/** A ClusterIP Service for one named port. */
export function clusterService(scope: Construct, name: string, id: Identity, port: number, portName: string, phase: SyncPhase = 'config', headless = false): k8s.KubeService {
  return new k8s.KubeService(scope, 'Service', {
    metadata: objectMeta(name, id, phase),
    spec: {
      type: 'ClusterIP',
      ...(headless ? { clusterIp: 'None' } : {}),
      selector: selectorLabels(id),
      ports: [{ name: portName, port, targetPort: k8s.IntOrString.fromString(portName), protocol: 'TCP' }],
    },
  });
}

/** A CronJob that never overlaps itself and keeps a short history. */
export interface ScheduledJobProps {
  /** Object name. */
  readonly name: string;
  /** Labels. */
  readonly identity: Identity;
  /** Five-field cron schedule, read in UTC (see {@link CRONJOB_TIME_ZONE}). */
  readonly schedule: string;
  /** The pod spec (restartPolicy Never). */
  readonly podSpec: k8s.PodSpec;
  /** Retries of a failed run; 0 for checks whose failure must show. */
  readonly backoffLimit: number;
  /** Which pod failures count against backoffLimit, fail the Job at once, or are ignored. @default none */
  readonly podFailurePolicy?: k8s.PodFailurePolicy;
  /** Pod template annotations. @default none */
  readonly podAnnotations?: Record<string, string>;
  /** Suspend the schedule. @default false */
  readonly suspend?: boolean;
}

/**
 * The time zone of every CronJob: UTC, the zone CloudNativePG's operator reads ScheduledBackup
 * schedules in (lib/rules/cron.ts), so "Sundays 04:00" means the same hour for the weekly volume
 * snapshot and for the jobs and restarts around it. Without `timeZone` a CronJob runs in the
 * kube-controller-manager's local time, which on k3s is the server host's. kubernetes/kubernetes
 * staging/src/k8s.io/api/batch/v1/types.go (`CronJobSpec.TimeZone`), GA since Kubernetes 1.27.
 * Spelled `UTC`, not `Etc/UTC`: the API server's validation and the CronJob controller both call
 * Go's `time.LoadLocation`, which returns UTC for "UTC" without reading any zone database, while
 * every other name needs one. Upstream kube-apiserver embeds `time/tzdata`
 * (cmd/kube-apiserver/apiserver.go); the single k3s binary does not (k3s-io/k3s#8832: its image
 * refused `Etc/UTC` with "unknown time zone" until #8764 added tzdata), so on a node OS without
 * tzdata every CronJob with `Etc/UTC` would be refused at sync.
 */
export const CRONJOB_TIME_ZONE = 'UTC';

/** Creates a CronJob: UTC, `Forbid` concurrency, a one-hour start deadline, 1 success and 3 failures kept. */
export function scheduledJob(scope: Construct, id: string, p: ScheduledJobProps): k8s.KubeCronJob {
  return new k8s.KubeCronJob(scope, id, {
    metadata: objectMeta(p.name, p.identity, 'workloads'),
    spec: {
      schedule: p.schedule,
      timeZone: CRONJOB_TIME_ZONE,
      ...(p.suspend ? { suspend: true } : {}),
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: p.backoffLimit,
          ...(p.podFailurePolicy ? { podFailurePolicy: p.podFailurePolicy } : {}),
          template: {
            metadata: { labels: standardLabels(p.identity), ...(p.podAnnotations ? { annotations: p.podAnnotations } : {}) },
            spec: p.podSpec,
          },
        },
      },
    },
  });
}
