import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity, selectorLabels, standardLabels } from './conventions/labels';
import { placement } from './conventions/placement';
import { httpProbe, tcpProbe } from './conventions/probes';
import { containerSecurityContext, securePodSpec } from './conventions/security';
import { clusterService, containerResources, objectMeta } from './conventions/workload';
import { propsError, memoryProblems } from './rules/mastodon-checks';
import { IMAGES, imageRef } from './rules/images';
import { internalSearchHost, OPENSEARCH_FLOOR, OPENSEARCH_PORT, OPENSEARCH_UID, openSearchHeapMiB, openSearchRequestProblems } from './rules/search';
import { parseMemory } from './rules/quantity';
import { DEFAULT_POOL_LABEL, SEARCH_DEFAULTS } from './model/defaults';
import type { ImageSpec, ResourcesConfig, SearchEndpoint } from './model';

/** Where the image keeps its configuration (opensearch-build: OPENSEARCH_PATH_CONF). */
const CONFIG_DIR = '/usr/share/opensearch/config';
/** The config copy: a few files. */
const INIT_RESOURCES: ResourcesConfig = { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } };

/**
 * Props for {@link OpenSearch}: the config's `search:` section (mode internal) as props, with its
 * defaults (lib/model/defaults.ts), except the pool.
 */
export interface OpenSearchProps {
  /** Instance name; the StatefulSet and Service are `<instance>-search`. */
  readonly instance: string;
  /** The node pool of the pod. @default none: any node (a config's default is 'cloud') */
  readonly pool?: string;
  /** The node label whose value is the pool name. @default 'node-pool' */
  readonly poolLabel?: string;
  /** The PVC for the indices. @default 10Gi of the cluster's default StorageClass */
  readonly storage?: { readonly size: string; readonly storageClass?: string };
  /**
   * Requests and memory limit; the JVM heap is half the limit. At least 1Gi.
   * @default requests 250m / 2Gi, limit 2Gi (a 1 GiB heap)
   */
  readonly resources?: ResourcesConfig;
  /** ES_PREFIX Mastodon's indices get, in {@link OpenSearch.endpoint}. @default none */
  readonly prefix?: string;
  /** The OpenSearch image. @default the 2.x release this library was tested with */
  readonly image?: ImageSpec;
  /** The PriorityClass of the pod. @default none (priority 0) */
  readonly priorityClassName?: string;
}

/**
 * A single-node OpenSearch for Mastodon's full-text search: one StatefulSet pod with its indices
 * on a PVC (`discovery.type=single-node`, so no cluster bootstrap and no bootstrap checks), and
 * the security plugin disabled: nothing in the namespace reaches it but web, Sidekiq and the
 * search Job (NetworkPolicies), and the indices hold only what Mastodon can rebuild from its
 * database with `tootctl search deploy`.
 */
export class OpenSearch extends Construct {
  /** Port OpenSearch serves HTTP on. */
  public static readonly PORT = OPENSEARCH_PORT;
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The Service Mastodon connects to (ES_HOST). */
  public readonly service: k8s.KubeService;
  /** What MastodonEnvironment's `search` prop takes to use this server. */
  public readonly endpoint: SearchEndpoint;

  constructor(scope: Construct, id: string, props: OpenSearchProps) {
    super(scope, id);
    const image = props.image ?? IMAGES.opensearch;
    const resources = props.resources ?? SEARCH_DEFAULTS.internal.resources;
    const storage: NonNullable<OpenSearchProps['storage']> = props.storage ?? SEARCH_DEFAULTS.internal.storage;
    const problems = [...memoryProblems('resources', resources, OPENSEARCH_FLOOR), ...openSearchRequestProblems('resources', resources)];
    if (problems.length > 0) throw propsError(`OpenSearch ${props.instance}`, problems);
    const name = internalSearchHost(props.instance);
    const identity: Identity = { instance: props.instance, component: 'search', version: image.tag };
    const heap = openSearchHeapMiB(parseMemory(resources.limits.memory));
    this.endpoint = { host: name, port: OPENSEARCH_PORT, scheme: 'http', preset: 'single_node_cluster', ...(props.prefix ? { prefix: props.prefix } : {}) };
    // The image's entrypoint (opensearch-build docker/release/config/opensearch/opensearch-docker-entrypoint-2.x.sh)
    // turns every variable named like a setting (two dotted lower-case words) into -E<setting>=<value>.
    const env: k8s.EnvVar[] = [
      { name: 'cluster.name', value: name },
      // One node: no discovery, and the bootstrap checks only warn (OpenSearch BootstrapChecks.enforceLimits).
      { name: 'discovery.type', value: 'single-node' },
      { name: 'network.host', value: '0.0.0.0' },
      // No mmap for the indices: MaxMapCountCheck skips vm.max_map_count then, so no privileged init container.
      { name: 'node.store.allow_mmap', value: 'false' },
      // Security plugin off (-Eplugins.security.disabled=true) and no demo certificates: see the class comment.
      { name: 'DISABLE_SECURITY_PLUGIN', value: 'true' },
      { name: 'DISABLE_INSTALL_DEMO_CONFIG', value: 'true' },
      { name: 'DISABLE_PERFORMANCE_ANALYZER_AGENT_CLI', value: 'true' },
      { name: 'OPENSEARCH_JAVA_OPTS', value: `-Xms${heap}m -Xmx${heap}m` },
    ];
    // The image's config directory (opensearch.yml, jvm.options, log4j2.properties) copied to
    // a writable emptyDir, so the root filesystem can stay read-only (ECK does the same for
    // Elasticsearch). Same image, same user: no privilege.
    const copyConfig: k8s.Container = {
      name: 'config',
      image: imageRef(image),
      imagePullPolicy: 'IfNotPresent',
      command: ['sh', '-c', `cp -a ${CONFIG_DIR}/. /mnt/config/`],
      resources: containerResources(INIT_RESOURCES),
      securityContext: containerSecurityContext(OPENSEARCH_UID),
      volumeMounts: [{ name: 'config', mountPath: '/mnt/config' }],
    };
    this.service = clusterService(this, name, identity, OPENSEARCH_PORT, 'http', 'config', true);
    this.statefulSet = new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: objectMeta(name, identity, 'data'),
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selectorLabels(identity) },
        template: {
          metadata: { labels: standardLabels(identity) },
          spec: withInit(copyConfig, securePodSpec({
            uid: OPENSEARCH_UID,
            placement: placement({ poolLabel: props.poolLabel ?? DEFAULT_POOL_LABEL, pool: props.pool, architectures: image.architectures }),
            priorityClassName: props.priorityClassName,
            // Time to flush the translog and close the indices (the OpenSearch Helm chart's terminationGracePeriod).
            terminationGracePeriodSeconds: 120,
            containers: [{
              name: 'opensearch',
              image: imageRef(image),
              imagePullPolicy: 'IfNotPresent',
              env,
              ports: [{ name: 'http', containerPort: OPENSEARCH_PORT, protocol: 'TCP' }],
              resources: containerResources(resources),
              securityContext: containerSecurityContext(OPENSEARCH_UID),
              // Read-only root: what OpenSearch writes goes to the PVC (indices, heap dumps), the
              // config copy (keystore), logs/ (gc.log) and /tmp (its temporary directory).
              volumeMounts: [
                { name: 'data', mountPath: '/usr/share/opensearch/data' },
                { name: 'config', mountPath: CONFIG_DIR },
                { name: 'logs', mountPath: '/usr/share/opensearch/logs' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
              // A JVM start with plugins takes a minute or more on small nodes: up to 10 minutes.
              startupProbe: tcpProbe(OPENSEARCH_PORT, { periodSeconds: 10, failureThreshold: 60 }),
              // Ready once this node's cluster state is at least yellow (408 otherwise).
              readinessProbe: httpProbe('/_cluster/health?local=true&wait_for_status=yellow&timeout=2s', OPENSEARCH_PORT, { periodSeconds: 10 }),
              // Alive while it accepts connections: a red index is not fixed by a restart.
              livenessProbe: tcpProbe(OPENSEARCH_PORT, { periodSeconds: 20, failureThreshold: 6 }),
            }],
            volumes: [
              { name: 'config', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              { name: 'logs', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
            ],
          })),
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels: selectorLabels(identity) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: k8s.Quantity.fromString(storage.size) } },
            ...(storage.storageClass ? { storageClassName: storage.storageClass } : {}),
          },
        }],
        // Keep the indices when the StatefulSet is deleted or scaled down.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      },
    });
  }
}

/** The pod spec with an init container in front (securePodSpec takes none). */
function withInit(init: k8s.Container, spec: k8s.PodSpec): k8s.PodSpec {
  return { ...spec, initContainers: [init] };
}
