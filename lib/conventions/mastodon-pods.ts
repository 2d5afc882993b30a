/**
 * The Mastodon workload factory: containers, pod specs and Deployments that share one
 * environment (env ConfigMap, Secrets, media volume). MastodonEnvironment holds the shared
 * objects and hands out a MastodonPods; the Mastodon constructs build their workloads with it.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity, selectorLabels } from './labels';
import { placement, PlacementProps } from './placement';
import { PriorityTier } from './priority';
import { containerSecurityContext, MASTODON_UID, securePodSpec } from './security';
import { execProbe, httpProbe } from './probes';
import { deploymentWithBudget, DeploymentProps, DeploymentResult } from './workload';
import { caReloadProbeScript, caReloadStartScript, CA_LOADED_FILE } from '../rules/ca-reload';
import { DatabaseConnection, STREAMING_CA_DIR, STREAMING_CA_FILE } from '../rules/database';
import { railsSecretEnv, SecretEnv, streamingSecretEnv } from '../rules/environment';
import { imageRef } from '../rules/images';
import type { ImageSpec, MastodonSettings } from '../model';

/** What a Rails container (web, Sidekiq, a Job) needs besides the shared parts. */
export interface RailsContainerOptions {
  /** Container name. */
  readonly name: string;
  /**
   * The arguments, e.g. `['bundle', 'exec', 'puma', '-C', 'config/puma.rb']`. Set as `args`,
   * never `command`: the Mastodon image's ENTRYPOINT is `/usr/bin/tini --` (mastodon/mastodon
   * Dockerfile), which must stay PID 1 to reap zombies and forward signals.
   */
  readonly args: string[];
  /** The working directory. @default the image's WORKDIR (/opt/mastodon) */
  readonly workingDir?: string;
  /** Extra variables for this process (WEB_CONCURRENCY, DB_POOL, ...). @default none */
  readonly env?: Record<string, string>;
  /** Resources. */
  readonly resources: k8s.ResourceRequirements;
  /** Ports. @default none */
  readonly ports?: k8s.ContainerPort[];
  /** Startup probe. @default none */
  readonly startupProbe?: k8s.Probe;
  /** Readiness probe. @default none */
  readonly readinessProbe?: k8s.Probe;
  /** Liveness probe. @default none */
  readonly livenessProbe?: k8s.Probe;
  /** Lifecycle hooks (preStop). @default none */
  readonly lifecycle?: k8s.Lifecycle;
  /**
   * `configMap`: plain variables from the env ConfigMap (long-running pods; its checksum rolls
   * them). `inline`: the same variables written into the pod, for hook Jobs that may run before
   * the ConfigMap exists. @default configMap
   */
  readonly envSource?: 'configMap' | 'inline';
}

/** Pod-level options shared by every Mastodon pod. */
export interface MastodonPodOptions {
  /** Containers. */
  readonly containers: k8s.Container[];
  /** Where the pod may run. */
  readonly placement: Omit<PlacementProps, 'poolLabel'>;
  /** Which PriorityClass the pod gets. */
  readonly priority: PriorityTier;
  /** Seconds between SIGTERM and SIGKILL. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** `Always` for Deployments; `Never` for Jobs. @default Always */
  readonly restartPolicy?: 'Always' | 'Never' | 'OnFailure';
}

/** A long-running Mastodon Deployment: one container, spread over nodes, quick to fail over. */
export interface MastodonDeploymentOptions extends Pick<DeploymentProps, 'name' | 'identity' | 'replicas' | 'maxReplicas' | 'annotations' | 'strategy'> {
  /** The container. */
  readonly container: k8s.Container;
  /** Containers that run beside it, e.g. a metrics exporter. @default none */
  readonly sidecars?: k8s.Container[];
  /** Preferred (or only) pool. @default any node: no pool term */
  readonly pool?: string;
  /** A pool the pods may also use. @default none */
  readonly fallbackPool?: string;
  /** The architectures the container's image is published for. */
  readonly architectures: PlacementProps['architectures'];
  /** `hard`: never stack replicas while another node can take one; `soft`: prefer not to. */
  readonly spread: 'hard' | 'soft';
  /** Which PriorityClass the pods get. */
  readonly priority: PriorityTier;
  /** Seconds between SIGTERM and SIGKILL. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** The Sidekiq queues the pods serve, for the environment's checks. @default none: not Sidekiq */
  readonly queues?: readonly string[];
}

/** What {@link MastodonPods} builds from: the shared parts a `MastodonEnvironment` holds. */
export interface MastodonPodContext {
  /** The settings the pods share, defaults applied. */
  readonly settings: MastodonSettings;
  /** How Mastodon reaches Postgres. */
  readonly database: DatabaseConnection;
  /** The plain variables, in key order (written inline into hook Jobs). */
  readonly plainEnv: Readonly<Record<string, string>>;
  /** sha256 of the plain variables: a pod annotation, so a config change rolls the pods. */
  readonly checksum: string;
  /** The ConfigMap with the plain variables. */
  readonly configMapName: string;
  /** The media PVC, when media is stored on a volume. @default none */
  readonly mediaClaimName?: string;
  /** The PriorityClass name of each tier. @default none: the pods name no PriorityClass */
  readonly priorityClassNames?: Readonly<Record<PriorityTier, string>>;
}

/** Labels identity for a component of a Mastodon instance. */
export function mastodonIdentity(settings: Pick<MastodonSettings, 'name' | 'images'>, component: string, process?: string, version: string = settings.images.mastodon.tag): Identity {
  return { instance: settings.name, component, version, ...(process ? { process } : {}) };
}

/**
 * The Mastodon workload factory every Mastodon construct uses: containers of the Mastodon and
 * streaming images with the shared env ConfigMap, Secret references, media volume, writable
 * scratch directories and security context, and Deployments and pod specs around them.
 *
 * The root filesystem is read-only; Rails writes only to /opt/mastodon/tmp (pids, caches, the
 * Sidekiq ready file) and /tmp (uploads in flight), which are emptyDirs.
 */
export class MastodonPods {
  /** The settings the pods share, defaults applied. */
  public readonly settings: MastodonSettings;
  /** How Mastodon reaches Postgres. */
  public readonly database: DatabaseConnection;
  /** Each Deployment built here: the most pods it runs, whether they mount the media volume, the Sidekiq queues they serve. */
  public readonly deployments: { readonly name: string; readonly pods: number; readonly mountsMedia: boolean; readonly queues?: readonly string[] }[] = [];
  /** Each Job or CronJob pod spec built with {@link jobPodSpec}: one pod at a time, whether it mounts the media volume. */
  public readonly jobs: { readonly name: string; readonly pods: number; readonly mountsMedia: boolean }[] = [];

  constructor(private readonly context: MastodonPodContext) {
    this.settings = context.settings;
    this.database = context.database;
  }

  /** Labels identity for a component of this instance. */
  public identity(component: string, process?: string, version?: string): Identity {
    return mastodonIdentity(this.settings, component, process, version);
  }

  /** Pod template annotations that roll pods when the env ConfigMap changes. */
  public get podAnnotations(): Record<string, string> {
    return { 'checksum/env': this.context.checksum };
  }

  /** A container running the Mastodon (Rails) image. */
  public railsContainer(o: RailsContainerOptions): k8s.Container {
    return this.container(this.settings.images.mastodon, railsSecretEnv(this.settings, this.database), o, [
      { name: 'tmp', mountPath: '/opt/mastodon/tmp' },
      { name: 'tmp-root', mountPath: '/tmp' },
      ...(this.context.mediaClaimName ? [{ name: 'media', mountPath: '/opt/mastodon/public/system' }] : []),
    ]);
  }

  /**
   * A container running the streaming image (Node.js): only the database and Redis secrets.
   * Without a database CA: neither command nor args, the image's CMD `node ./streaming/index.js`
   * runs as is (mastodon/mastodon streaming/Dockerfile sets no ENTRYPOINT; the node base image's
   * is docker-entrypoint.sh, which execs a command it finds). With a database CA it starts through
   * `caReloadStartScript` (rules/ca-reload.ts: a copy of the mounted CA for NODE_EXTRA_CA_CERTS),
   * in `args`; give it {@link streamingLivenessProbe} so a renewed CA is loaded.
   */
  public streamingContainer(o: Omit<RailsContainerOptions, 'args' | 'workingDir' | 'envSource'>): k8s.Container {
    // Mastodon's streaming/database.js turns every DB_SSLMODE but disable, '' and no-verify into
    // node-postgres' `ssl: {}`, which verifies the certificate chain and the host name against
    // Node's CAs. NODE_EXTRA_CA_CERTS adds the database CA to them (read once, at start: see
    // rules/ca-reload.ts for how a renewed CA gets loaded).
    const ca = this.database.caSecret;
    const env = ca ? { ...o.env, NODE_EXTRA_CA_CERTS: CA_LOADED_FILE } : o.env;
    // args, not command: the image's entrypoint stays in front.
    const args = ca ? ['sh', '-c', caReloadStartScript(STREAMING_CA_FILE)] : undefined;
    return this.container(this.settings.images.streaming, streamingSecretEnv(this.settings, this.database), { ...o, env, args }, [
      { name: 'tmp-root', mountPath: '/tmp' },
      // The whole directory, never subPath: only then does the kubelet update the file in place.
      ...(ca ? [{ name: 'postgres-ca', mountPath: STREAMING_CA_DIR, readOnly: true }] : []),
    ]);
  }

  /**
   * The streaming liveness probe: the health endpoint, and with a database CA also a restart
   * (spread over the pods) when the mounted CA no longer matches the one the process loaded.
   */
  public streamingLivenessProbe(healthPath: string, port: number, p: Partial<k8s.Probe> = {}): k8s.Probe {
    if (!this.database.caSecret) return httpProbe(healthPath, port, p);
    return execProbe(['sh', '-c', caReloadProbeScript(STREAMING_CA_FILE, `http://127.0.0.1:${port}${healthPath}`)], p);
  }

  /** True while `maintenance.stopWorkloads` is on: web, streaming and Sidekiq run no pods. */
  public get stopped(): boolean {
    return this.settings.maintenance.stopWorkloads;
  }

  /**
   * A Deployment (and its PDB) with the shared pod spec, the config checksum annotation, a
   * spread over nodes and `network.failoverSeconds` for lost nodes. Scaled to 0 while
   * `maintenance.stopWorkloads` is on.
   */
  public deployment(scope: Construct, o: MastodonDeploymentOptions): DeploymentResult {
    const containers = [o.container, ...(o.sidecars ?? [])];
    this.deployments.push({
      name: o.name,
      pods: Math.max(o.replicas ?? 0, o.maxReplicas ?? 0),
      mountsMedia: mountsMedia(containers),
      ...(o.queues ? { queues: o.queues } : {}),
    });
    return deploymentWithBudget(scope, {
      name: o.name,
      identity: o.identity,
      replicas: this.stopped ? 0 : o.replicas,
      maxReplicas: this.stopped ? 0 : o.maxReplicas,
      annotations: o.annotations,
      strategy: o.strategy,
      podAnnotations: this.podAnnotations,
      podSpec: this.podSpec({
        containers,
        priority: o.priority,
        terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
        placement: {
          pool: o.pool,
          fallbackPool: o.fallbackPool,
          architectures: o.architectures,
          spread: { mode: o.spread, selector: selectorLabels(o.identity), rollingUpdate: true },
          failoverSeconds: this.settings.network.failoverSeconds,
        },
      }),
    });
  }

  /**
   * The pod spec of the Job or CronJob `name` (one pod at a time), recorded so that the
   * environment's checks count it: its pods mount the media volume as web's do.
   */
  public jobPodSpec(name: string, o: MastodonPodOptions): k8s.PodSpec {
    this.jobs.push({ name, pods: 1, mountsMedia: mountsMedia(o.containers) });
    return this.podSpec(o);
  }

  /** A pod spec with the shared security context, volumes and placement. */
  public podSpec(o: MastodonPodOptions): k8s.PodSpec {
    const where = placement({ ...o.placement, poolLabel: this.settings.nodes.poolLabel });
    const mounted = new Set(o.containers.flatMap((ct) => (ct.volumeMounts ?? []).map((m) => m.name)));
    const volumes: k8s.Volume[] = [
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
      { name: 'tmp-root', emptyDir: { sizeLimit: k8s.Quantity.fromString('2Gi') } },
      ...(this.context.mediaClaimName ? [{ name: 'media', persistentVolumeClaim: { claimName: this.context.mediaClaimName } }] : []),
      ...(this.database.caSecret ? [{
        name: 'postgres-ca',
        // Only the certificate: the CNPG <cluster>-ca Secret also holds the CA's private key.
        secret: { secretName: this.database.caSecret.name, items: [{ key: this.database.caSecret.key, path: 'ca.crt' }], defaultMode: 0o444 },
      }] : []),
    ].filter((v) => mounted.has(v.name));
    return securePodSpec({
      uid: MASTODON_UID,
      containers: o.containers,
      placement: where,
      priorityClassName: this.context.priorityClassNames?.[o.priority],
      restartPolicy: o.restartPolicy,
      terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
      volumes,
    });
  }

  private container(image: ImageSpec, secrets: SecretEnv[], o: Omit<RailsContainerOptions, 'args'> & { args?: string[] }, mounts: k8s.VolumeMount[]): k8s.Container {
    const inline = o.envSource === 'inline';
    // Inline: the plain variables with this container's overrides merged in (one entry per name).
    const own = inline ? { ...this.context.plainEnv, ...o.env } : (o.env ?? {});
    const env: k8s.EnvVar[] = [
      ...Object.entries(own).map(([name, value]) => ({ name, value })),
      ...secrets.map((s) => ({ name: s.env, valueFrom: { secretKeyRef: { name: s.secretName, key: s.key } } })),
    ];
    return {
      name: o.name,
      image: imageRef(image),
      imagePullPolicy: 'IfNotPresent',
      ...(o.args ? { args: o.args } : {}),
      ...(o.workingDir ? { workingDir: o.workingDir } : {}),
      ...(inline ? {} : { envFrom: [{ configMapRef: { name: this.context.configMapName } }] }),
      env,
      ...(o.ports ? { ports: o.ports } : {}),
      resources: o.resources,
      securityContext: containerSecurityContext(MASTODON_UID),
      volumeMounts: mounts,
      ...(o.startupProbe ? { startupProbe: o.startupProbe } : {}),
      ...(o.readinessProbe ? { readinessProbe: o.readinessProbe } : {}),
      ...(o.livenessProbe ? { livenessProbe: o.livenessProbe } : {}),
      ...(o.lifecycle ? { lifecycle: o.lifecycle } : {}),
    };
  }
}

/** Whether any of the containers mounts the media volume. */
function mountsMedia(containers: readonly k8s.Container[]): boolean {
  return containers.some((ct) => (ct.volumeMounts ?? []).some((m) => m.name === 'media'));
}
