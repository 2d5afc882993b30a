import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity, selectorLabels } from './conventions/labels';
import { resourceName } from './conventions/names';
import { placement, PlacementProps } from './conventions/placement';
import { PriorityTier } from './conventions/priority';
import { PriorityClasses } from './priority-classes';
import { containerSecurityContext, MASTODON_UID, securePodSpec } from './conventions/security';
import { execProbe, httpProbe } from './conventions/probes';
import { deploymentWithBudget, DeploymentResult, objectMeta, UpdateStrategy } from './conventions/workload';
import { caReloadProbeScript, caReloadStartScript, CA_LOADED_FILE } from './rules/ca-reload';
import { databaseConnection, DatabaseConnection, STREAMING_CA_DIR, STREAMING_CA_FILE } from './rules/database';
import { plainEnv, railsSecretEnv, SecretEnv, streamingSecretEnv } from './rules/environment';
import { imageRef } from './rules/images';
import { byCodeUnits } from './rules/order';
import type { ResolvedConfig, ImageSpec } from './model';

/** Props for {@link MastodonEnvironment}. */
export interface MastodonEnvironmentProps {
  /** The resolved configuration (see `resolveConfig`). */
  readonly config: ResolvedConfig;
  /**
   * How to reach Postgres: `postgres.connection` of a {@link PostgresCluster}, or
   * `externalConnection(config.database)`. @default derived from `config.database`
   */
  readonly database?: DatabaseConnection;
  /**
   * The PriorityClasses the Mastodon pods name (`<name>-frontend`, `<name>-workers`). A pod
   * that names a PriorityClass which does not exist is rejected by the API server, so the
   * environment never leaves them to chance.
   * @default the PriorityClasses of this instance already in the chart, or else a set created here
   */
  readonly priorityClasses?: PriorityClasses;
}

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
export interface MastodonDeploymentOptions {
  /** Object name. */
  readonly name: string;
  /** Labels and selector. */
  readonly identity: Identity;
  /** Pod count; `undefined` when a KEDA ScaledObject owns it (spec.replicas left out). */
  readonly replicas: number | undefined;
  /** The most pods it may run, for the PDB. @default replicas */
  readonly maxReplicas?: number;
  /** Deployment annotations. @default none */
  readonly annotations?: Record<string, string>;
  /** How pods are replaced. */
  readonly strategy: UpdateStrategy;
  /** The container. */
  readonly container: k8s.Container;
  /** Containers that run beside it, e.g. a metrics exporter. @default none */
  readonly sidecars?: k8s.Container[];
  /** Preferred (or only) pool. */
  readonly pool: string;
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
}

/**
 * What every Mastodon pod shares: the env ConfigMap, the Secret references, the media volume,
 * the writable scratch directories and the security context.
 *
 * The root filesystem is read-only; Rails writes only to /opt/mastodon/tmp (pids, caches, the
 * Sidekiq ready file) and /tmp (uploads in flight), which are emptyDirs.
 */
export class MastodonEnvironment extends Construct {
  /** The resolved configuration every construct reads. */
  public readonly config: ResolvedConfig;
  /** The ConfigMap with the plain variables. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The media PVC, when media is stored on a volume. */
  public readonly mediaClaim?: k8s.KubePersistentVolumeClaim;
  /** sha256 of the plain variables: a pod annotation, so a config change rolls the pods. */
  public readonly checksum: string;
  /** The plain variables, in key order. */
  public readonly plainEnv: Readonly<Record<string, string>>;
  /** How Mastodon reaches Postgres. */
  public readonly database: DatabaseConnection;
  /** The PriorityClasses the pods name (given, found in the chart, or created). */
  public readonly priorityClasses: PriorityClasses;

  constructor(scope: Construct, id: string, props: MastodonEnvironmentProps) {
    super(scope, id);
    const c = props.config;
    this.config = c;
    this.database = props.database ?? databaseConnection(c);
    this.priorityClasses = props.priorityClasses
      ?? Chart.of(this).node.findAll().find((x): x is PriorityClasses => x instanceof PriorityClasses && x.instance === c.name)
      ?? new PriorityClasses(this, 'Priority', { instance: c.name, version: c.images.mastodon.tag });
    this.plainEnv = sortKeys(plainEnv(c, this.database));
    this.checksum = createHash('sha256').update(JSON.stringify(this.plainEnv)).digest('hex');
    const identity = this.identity('config');
    this.configMap = new k8s.KubeConfigMap(this, 'Env', {
      metadata: objectMeta(resourceName(c.name, 'env'), identity, 'config'),
      data: { ...this.plainEnv },
    });
    const vol = c.media.volume;
    if (vol) {
      this.mediaClaim = new k8s.KubePersistentVolumeClaim(this, 'Media', {
        metadata: objectMeta(resourceName(c.name, 'media'), this.identity('media'), 'config', {
          'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
          'helm.sh/resource-policy': 'keep',
        }),
        spec: {
          accessModes: [vol.accessMode],
          resources: { requests: { storage: k8s.Quantity.fromString(vol.size) } },
          ...(vol.storageClass ? { storageClassName: vol.storageClass } : {}),
        },
      });
    }
  }

  /** Labels identity for a component of this instance. */
  public identity(component: string, process?: string, version: string = this.config.images.mastodon.tag): Identity {
    return { instance: this.config.name, component, version, ...(process ? { process } : {}) };
  }

  /** Pod template annotations that roll pods when the env ConfigMap changes. */
  public get podAnnotations(): Record<string, string> {
    return { 'checksum/env': this.checksum };
  }

  /** A container running the Mastodon (Rails) image. */
  public railsContainer(o: RailsContainerOptions): k8s.Container {
    return this.container(this.config.images.mastodon, railsSecretEnv(this.config, this.database), o, [
      { name: 'tmp', mountPath: '/opt/mastodon/tmp' },
      { name: 'tmp-root', mountPath: '/tmp' },
      ...(this.mediaClaim ? [{ name: 'media', mountPath: '/opt/mastodon/public/system' }] : []),
    ]);
  }

  /**
   * A container running the streaming image (Node.js): only the database and Redis secrets.
   * Without a database CA: neither command nor args, the image's CMD `node ./streaming/index.js`
   * runs as is (mastodon/mastodon streaming/Dockerfile sets no ENTRYPOINT; the node base image's
   * is docker-entrypoint.sh, which execs a command it finds). With a database CA it starts through
   * {@link caReloadStartScript} (a copy of the mounted CA for NODE_EXTRA_CA_CERTS), in `args`;
   * give it {@link streamingLivenessProbe} so a renewed CA is loaded.
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
    return this.container(this.config.images.streaming, streamingSecretEnv(this.config, this.database), { ...o, env, args }, [
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
    return this.config.maintenance.stopWorkloads;
  }

  /**
   * A Deployment (and its PDB) with the shared pod spec, the config checksum annotation, a
   * spread over nodes and `network.failoverSeconds` for lost nodes. Scaled to 0 while
   * `maintenance.stopWorkloads` is on.
   */
  public deployment(scope: Construct, o: MastodonDeploymentOptions): DeploymentResult {
    return deploymentWithBudget(scope, {
      name: o.name,
      identity: o.identity,
      replicas: this.stopped ? 0 : o.replicas,
      maxReplicas: this.stopped ? 0 : o.maxReplicas,
      annotations: o.annotations,
      strategy: o.strategy,
      podAnnotations: this.podAnnotations,
      podSpec: this.podSpec({
        containers: [o.container, ...(o.sidecars ?? [])],
        priority: o.priority,
        terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
        placement: {
          pool: o.pool,
          fallbackPool: o.fallbackPool,
          architectures: o.architectures,
          spread: { mode: o.spread, selector: selectorLabels(o.identity), rollingUpdate: true },
          failoverSeconds: this.config.network.failoverSeconds,
        },
      }),
    });
  }

  /** A pod spec with the shared security context, volumes and placement. */
  public podSpec(o: MastodonPodOptions): k8s.PodSpec {
    const where = placement({ ...o.placement, poolLabel: this.config.nodes.poolLabel });
    const mounted = new Set(o.containers.flatMap((ct) => (ct.volumeMounts ?? []).map((m) => m.name)));
    const volumes: k8s.Volume[] = [
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
      { name: 'tmp-root', emptyDir: { sizeLimit: k8s.Quantity.fromString('2Gi') } },
      ...(this.mediaClaim ? [{ name: 'media', persistentVolumeClaim: { claimName: this.mediaClaim.name } }] : []),
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
      priorityClassName: this.priorityClasses.classes[o.priority].name,
      restartPolicy: o.restartPolicy,
      terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
      volumes,
    });
  }

  private container(image: ImageSpec, secrets: SecretEnv[], o: Omit<RailsContainerOptions, 'args'> & { args?: string[] }, mounts: k8s.VolumeMount[]): k8s.Container {
    const inline = o.envSource === 'inline';
    // Inline: the plain variables with this container's overrides merged in (one entry per name).
    const own = inline ? { ...this.plainEnv, ...o.env } : (o.env ?? {});
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
      ...(inline ? {} : { envFrom: [{ configMapRef: { name: this.configMap.name } }] }),
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

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => byCodeUnits(a, b)));
}
