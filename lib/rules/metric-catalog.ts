/**
 * The metric catalog: every metric the alert rules (lib/rules/alerts.ts) and their promtool
 * fixtures use, with its type and labels as the program that emits it defines them, at the
 * version this chart is written against, and the upstream file (`repo@tag:path`) that emits it.
 * Pure data: no cdk8s imports.
 *
 * Only what the rules need (plus what the integration scrape compares) is listed, and nothing is
 * invented: test/metric-catalog.test.ts fails when a rule or a fixture uses a metric missing here,
 * and test/integration/metric-catalog.itest.ts scrapes the exporters Debian ships and compares.
 * To add an alert, add its metrics here first, read in the exporter's source (docs/monitoring.md).
 */
import { SLOT_LOST_METRIC, SLOT_UNRESERVED_METRIC, SLOT_QUERY_NAME } from './slot-queries';

/** The Prometheus exposition types (text format `# TYPE`). */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** How Prometheus finds the target, which decides the labels it adds to every series. */
export type ScrapeKind = 'PodMonitor' | 'ServiceMonitor';

/** One metric as its exporter emits it. */
export interface CatalogMetric {
  readonly name: string;
  readonly type: MetricType;
  /** The labels the exporter itself sets (not the target labels Prometheus adds). */
  readonly labels: readonly string[];
  /** The upstream file that defines it: `owner/repo@tag:path`. */
  readonly source: string;
  /** What the value means where that is not obvious from the name. @default none */
  readonly note?: string;
}

/** One program that exports metrics, at one version. */
export interface CatalogExporter {
  /** Short key, e.g. `cnpg-pooler`. */
  readonly id: string;
  /** The program, e.g. `CloudNativePG PgBouncer exporter`. */
  readonly program: string;
  /** The version the entries were read at (a git tag). */
  readonly version: string;
  /** Why that version: the image or chart this project pins, or that it installs none. */
  readonly versionFrom: string;
  /** How Prometheus scrapes it, which decides the target labels every series gets. */
  readonly scrape: ScrapeKind;
  readonly metrics: readonly CatalogMetric[];
}

/**
 * The labels the Prometheus Operator's generated scrape configs add to every series of a target
 * (besides `instance`, Prometheus' own): prometheus-operator/prometheus-operator@v0.93.0
 * pkg/prometheus/promcfg.go, generatePodMonitorConfig (namespace, container, pod, job, endpoint)
 * and generateServiceMonitorConfig (node or pod, namespace, service, pod, container, job,
 * endpoint). v0.93.0 is the release whose CRDs are vendored in crds/prometheus-operator/.
 */
export const TARGET_LABELS: Readonly<Record<ScrapeKind, readonly string[]>> = {
  PodMonitor: ['instance', 'job', 'namespace', 'pod', 'container', 'endpoint'],
  ServiceMonitor: ['instance', 'job', 'namespace', 'service', 'pod', 'container', 'endpoint', 'node'],
};

const CNPG = 'cloudnative-pg/cloudnative-pg@v1.30.0';
const CNPG_QUERIES = `${CNPG}:config/manager/default-monitoring.yaml`;
const POOLER = `${CNPG}:pkg/management/pgbouncer/metricsserver`;
const KSM = 'kubernetes/kube-state-metrics@v2.20.0:internal/store';
const NODE = 'prometheus/node_exporter@v1.12.1:collector';
const REDIS = 'oliver006/redis_exporter@v1.88.0:exporter/exporter.go';
const KUBE = 'kubernetes/kubernetes@v1.30.0';
const FS_LABELS = ['device', 'mountpoint', 'fstype', 'device_error'];

/** Every exporter the rules read, with the metrics they read from it. */
export const METRIC_CATALOG: readonly CatalogExporter[] = [
  {
    id: 'prometheus',
    program: "Prometheus' own scrape health series of each PodMonitor target",
    version: 'v2.42.0',
    versionFrom: 'not installed by this chart (kube-prometheus-stack brings Prometheus); read at the release Debian ships for promtool, and every 2.x and 3.x release writes `up` the same way',
    scrape: 'PodMonitor',
    metrics: [
      { name: 'up', type: 'gauge', labels: [], source: 'prometheus/prometheus@v2.42.0:scrape/scrape.go', note: '1 when the last scrape of the target succeeded, 0 when it failed; carries only the target labels' },
    ],
  },
  {
    id: 'kube-state-metrics',
    program: 'kube-state-metrics',
    version: 'v2.20.0',
    versionFrom: 'not installed by this chart (kube-prometheus-stack brings it); read at the newest release',
    scrape: 'ServiceMonitor',
    metrics: [
      { name: 'kube_deployment_spec_replicas', type: 'gauge', labels: ['namespace', 'deployment'], source: `${KSM}/deployment.go` },
      { name: 'kube_deployment_status_replicas_available', type: 'gauge', labels: ['namespace', 'deployment'], source: `${KSM}/deployment.go` },
      { name: 'kube_pod_container_status_restarts_total', type: 'counter', labels: ['namespace', 'pod', 'uid', 'container'], source: `${KSM}/pod.go` },
      { name: 'kube_pod_container_status_last_terminated_reason', type: 'gauge', labels: ['namespace', 'pod', 'uid', 'container', 'reason'], source: `${KSM}/pod.go` },
      { name: 'kube_pod_container_resource_limits', type: 'gauge', labels: ['namespace', 'pod', 'uid', 'container', 'node', 'resource', 'unit'], source: `${KSM}/pod.go` },
      { name: 'kube_job_status_failed', type: 'gauge', labels: ['namespace', 'job_name', 'reason'], source: `${KSM}/job.go`, note: 'reason is empty (no label) until the Job has its Failed condition' },
      { name: 'kube_job_failed', type: 'gauge', labels: ['namespace', 'job_name', 'condition'], source: `${KSM}/job.go`, note: 'one series per condition value (true, false, unknown) once the Job has its Failed condition; none before' },
      { name: 'kube_job_complete', type: 'gauge', labels: ['namespace', 'job_name', 'condition'], source: `${KSM}/job.go`, note: 'one series per condition value once the Job has its Complete condition' },
      { name: 'kube_cronjob_created', type: 'gauge', labels: ['namespace', 'cronjob'], source: `${KSM}/cronjob.go` },
      { name: 'kube_cronjob_status_last_successful_time', type: 'gauge', labels: ['namespace', 'cronjob'], source: `${KSM}/cronjob.go`, note: 'only once a run succeeded' },
      { name: 'kube_node_status_condition', type: 'gauge', labels: ['node', 'condition', 'status'], source: `${KSM}/node.go` },
    ],
  },
  {
    id: 'kubelet',
    program: "the kubelet's /metrics and /metrics/cadvisor",
    version: 'v1.30.0',
    versionFrom: 'Kubernetes 1.30, the newest version the manifests are validated against (K8S_VERSIONS); k3s embeds the same kubelet',
    scrape: 'ServiceMonitor',
    metrics: [
      { name: 'kubelet_volume_stats_available_bytes', type: 'gauge', labels: ['namespace', 'persistentvolumeclaim'], source: `${KUBE}:pkg/kubelet/metrics/collectors/volume_stats.go` },
      { name: 'kubelet_volume_stats_capacity_bytes', type: 'gauge', labels: ['namespace', 'persistentvolumeclaim'], source: `${KUBE}:pkg/kubelet/metrics/collectors/volume_stats.go` },
      // cAdvisor's collector (google/cadvisor metrics/prometheus.go) with the labels the kubelet maps from the container (containerPrometheusLabelsFunc).
      { name: 'container_memory_working_set_bytes', type: 'gauge', labels: ['id', 'name', 'image', 'namespace', 'pod', 'container'], source: `${KUBE}:pkg/kubelet/server/server.go` },
    ],
  },
  {
    id: 'cnpg-instance',
    program: 'CloudNativePG instance manager (Postgres pods, port 9187)',
    version: 'v1.30.0',
    versionFrom: 'the operator this chart installs (lib/rules/operators.ts: Helm chart cloudnative-pg 0.29.0)',
    scrape: 'PodMonitor',
    metrics: [
      { name: 'cnpg_pg_stat_archiver_last_archived_time', type: 'gauge', labels: [], source: CNPG_QUERIES },
      { name: 'cnpg_pg_stat_archiver_last_failed_time', type: 'gauge', labels: [], source: CNPG_QUERIES },
      { name: 'cnpg_pg_replication_lag', type: 'gauge', labels: [], source: CNPG_QUERIES },
      { name: 'cnpg_pg_replication_in_recovery', type: 'gauge', labels: [], source: CNPG_QUERIES },
      { name: 'cnpg_pg_replication_slots_pg_wal_lsn_diff', type: 'gauge', labels: ['slot_name', 'slot_type', 'database'], source: CNPG_QUERIES },
      { name: 'cnpg_collector_last_available_backup_timestamp', type: 'gauge', labels: [], source: `${CNPG}:pkg/management/postgres/webserver/metricserver/pg_collector.go`, note: 'deprecated upstream; set from volume-snapshot backups only here, 0 on replicas' },
      // The chart's own custom query (a ConfigMap named in spec.monitoring.customQueriesConfigMap): cnpg_<query>_<column>.
      { name: SLOT_LOST_METRIC, type: 'gauge', labels: ['slot_name'], source: `this chart: lib/rules/slot-queries.ts (query ${SLOT_QUERY_NAME}), named by ${CNPG}:pkg/management/postgres/metrics/collector.go` },
      { name: SLOT_UNRESERVED_METRIC, type: 'gauge', labels: ['slot_name'], source: `this chart: lib/rules/slot-queries.ts (query ${SLOT_QUERY_NAME}), named by ${CNPG}:pkg/management/postgres/metrics/collector.go` },
    ],
  },
  {
    id: 'barman-cloud-plugin',
    program: "Barman Cloud plugin, served by the instance manager's exporter under the plugin's own names (cloudnative-pg v1.30.0 internal/cnpi/plugin/client/metrics.go keeps FqName as it is)",
    version: 'v0.14.0',
    versionFrom: 'the plugin this chart installs (lib/rules/operators.ts)',
    scrape: 'PodMonitor',
    metrics: [
      { name: 'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp', type: 'gauge', labels: [], source: 'cloudnative-pg/plugin-barman-cloud@v0.14.0:internal/cnpgi/instance/metrics.go', note: '0 until the object store has a backup' },
    ],
  },
  {
    id: 'cnpg-pooler',
    program: 'CloudNativePG PgBouncer exporter (Pooler pods, port 9127)',
    version: 'v1.30.0',
    versionFrom: 'the operator this chart installs (lib/rules/operators.ts)',
    scrape: 'PodMonitor',
    // Not cnpg_pgbouncer_up: pgbouncer_collector.go defines it but neither Describe() nor Collect() sends it, so it is never exposed.
    metrics: [
      { name: 'cnpg_pgbouncer_last_collection_error', type: 'gauge', labels: [], source: `${POOLER}/pgbouncer_collector.go`, note: "written by each collector in turn; SHOW STATS runs last (stats.go resets it to 0 on success), so 1 means this scrape's SHOW STATS failed or no admin connection opened. A hung PgBouncer hangs the scrape instead (up == 0)" },
      { name: 'cnpg_pgbouncer_pools_maxwait', type: 'gauge', labels: ['database', 'user'], source: `${POOLER}/pools.go` },
    ],
  },
  {
    id: 'redis-exporter',
    program: 'redis_exporter (its own Deployment <instance>-redis-metrics, port 9121)',
    version: 'v1.88.0',
    versionFrom: 'the image this chart pins (lib/rules/images.ts: docker.io/oliver006/redis_exporter:v1.88.0)',
    scrape: 'PodMonitor',
    metrics: [
      { name: 'redis_up', type: 'gauge', labels: [], source: REDIS, note: '0 when the exporter could not scrape Redis' },
      // INFO fields, through metricMapGauges (used_memory, maxmemory).
      { name: 'redis_memory_used_bytes', type: 'gauge', labels: [], source: REDIS },
      { name: 'redis_memory_max_bytes', type: 'gauge', labels: [], source: REDIS },
    ],
  },
  {
    id: 'prometheus-exporter-sidekiq',
    program: "prometheus_exporter in Mastodon's Sidekiq processes (in-process server, port 9394)",
    version: 'v2.3.1',
    versionFrom: "the gem in the Mastodon image's bundle; read at its newest release (the collector is unchanged on main, ddf5c9b)",
    scrape: 'PodMonitor',
    metrics: [
      // Gauges named sidekiq_queue_<name>; labels from instrumentation/sidekiq_queue.rb ({queue:}); Mastodon's in-process server adds no prefix (mastodon/mastodon lib/mastodon/prometheus_exporter/local_server.rb).
      { name: 'sidekiq_queue_latency_seconds', type: 'gauge', labels: ['queue'], source: 'discourse/prometheus_exporter@v2.3.1:lib/prometheus_exporter/server/sidekiq_queue_collector.rb' },
      { name: 'sidekiq_queue_backlog', type: 'gauge', labels: ['queue'], source: 'discourse/prometheus_exporter@v2.3.1:lib/prometheus_exporter/server/sidekiq_queue_collector.rb' },
    ],
  },
  {
    id: 'cloudflared',
    program: 'cloudflared (the tunnel connectors, --metrics port 2000)',
    version: '2026.8.2',
    versionFrom: 'the image pins 2026.9.1 (lib/rules/images.ts); read at 2026.8.2, the newest tag at hand, and this gauge has not changed in years',
    scrape: 'PodMonitor',
    metrics: [
      // No rule reads it: it counts connection attempts, not connections (supervisor/tunnel.go); the tunnel fixtures feed it to show the rules do not depend on it.
      { name: 'cloudflared_tunnel_ha_connections', type: 'gauge', labels: [], source: 'cloudflare/cloudflared@2026.8.2:supervisor/metrics.go' },
    ],
  },
  {
    id: 'node-exporter',
    program: 'node_exporter',
    version: 'v1.12.1',
    versionFrom: 'not installed by this chart (kube-prometheus-stack brings it); read at the newest release',
    scrape: 'ServiceMonitor',
    metrics: [
      { name: 'node_filesystem_avail_bytes', type: 'gauge', labels: FS_LABELS, source: `${NODE}/filesystem_common.go` },
      { name: 'node_filesystem_size_bytes', type: 'gauge', labels: FS_LABELS, source: `${NODE}/filesystem_common.go` },
      { name: 'node_filesystem_readonly', type: 'gauge', labels: FS_LABELS, source: `${NODE}/filesystem_common.go` },
      // /proc/net/snmp fields kept by the default --collector.netstat.fields, exposed untyped.
      { name: 'node_netstat_Tcp_RetransSegs', type: 'untyped', labels: [], source: `${NODE}/netstat_linux.go` },
      { name: 'node_netstat_Tcp_OutSegs', type: 'untyped', labels: [], source: `${NODE}/netstat_linux.go` },
    ],
  },
];

/** A catalog entry with its exporter. */
export interface CatalogEntry {
  readonly exporter: CatalogExporter;
  readonly metric: CatalogMetric;
}

/** The entries for a metric name (one, unless two exporters emit the same name). */
export function catalogEntries(name: string, catalog: readonly CatalogExporter[] = METRIC_CATALOG): CatalogEntry[] {
  return catalog.flatMap((exporter) => exporter.metrics.filter((m) => m.name === name).map((metric) => ({ exporter, metric })));
}

/**
 * The label names a series of this metric may carry once scraped: the exporter's own and the
 * target labels Prometheus adds. Empty when the catalog does not know the metric.
 */
export function allowedLabels(name: string, catalog: readonly CatalogExporter[] = METRIC_CATALOG): Set<string> {
  return new Set(catalogEntries(name, catalog).flatMap((e) => [...e.metric.labels, ...TARGET_LABELS[e.exporter.scrape]]));
}
