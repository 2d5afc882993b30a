import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { mastodonIdentity, MastodonPods } from './conventions/mastodon-pods';
import { resourceName } from './conventions/names';
import type { PriorityTier } from './conventions/priority';
import { objectMeta } from './conventions/workload';
import { PriorityClasses } from './priority-classes';
import { databaseConnection, DatabaseConnection } from './rules/database';
import { plainEnv } from './rules/environment';
import { byCodeUnits } from './rules/order';
import type { ResolvedConfig } from './model';

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

/**
 * What every Mastodon pod shares: the env ConfigMap, the Secret references, the media volume
 * and the PriorityClasses. Its {@link MastodonEnvironment.pods} builds the containers, pod
 * specs and Deployments that use them.
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
  /** Builds the containers, pod specs and Deployments of this environment's pods. */
  public readonly pods: MastodonPods;

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
    this.configMap = new k8s.KubeConfigMap(this, 'Env', {
      metadata: objectMeta(resourceName(c.name, 'env'), mastodonIdentity(c, 'config'), 'config'),
      data: { ...this.plainEnv },
    });
    const vol = c.media.volume;
    if (vol) {
      this.mediaClaim = new k8s.KubePersistentVolumeClaim(this, 'Media', {
        metadata: objectMeta(resourceName(c.name, 'media'), mastodonIdentity(c, 'media'), 'config', {
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
    this.pods = new MastodonPods({
      config: c,
      database: this.database,
      plainEnv: this.plainEnv,
      checksum: this.checksum,
      configMapName: this.configMap.name,
      mediaClaimName: this.mediaClaim?.name,
      priorityClassNames: Object.fromEntries(Object.entries(this.priorityClasses.classes).map(([tier, pc]) => [tier, pc.name])) as Record<PriorityTier, string>,
    });
  }
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => byCodeUnits(a, b)));
}
