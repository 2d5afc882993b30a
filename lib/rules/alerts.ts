/**
 * The alert rules: one list of Prometheus alerting rules derived from the resolved config, each
 * named after the symptom, with a severity, a `for:` long enough not to flap, and a runbook line
 * that says what to check and how to fix it. Pure: no cdk8s imports.
 *
 * Every metric name was read in the source of the program that exports it:
 * - kube-state-metrics (kubernetes/kube-state-metrics docs/metrics/workload/deployment-metrics.md,
 *   pod-metrics.md, job-metrics.md, cluster/node-metrics.md): kube_deployment_spec_replicas,
 *   kube_deployment_status_replicas_available, kube_pod_container_status_restarts_total,
 *   kube_pod_container_status_last_terminated_reason{reason}, kube_pod_container_resource_limits
 *   {resource="memory"}, kube_job_failed{job_name,condition}, kube_node_status_condition{condition,status}.
 * - cAdvisor in the kubelet (google/cadvisor metrics/prometheus.go): container_memory_working_set_bytes.
 * - kubelet (kubernetes/kubernetes pkg/kubelet/metrics/collectors/volume_stats.go):
 *   kubelet_volume_stats_available_bytes and _capacity_bytes{namespace, persistentvolumeclaim}.
 * - CloudNativePG 1.30 (cloudnative-pg/cloudnative-pg): the default queries in
 *   config/manager/default-monitoring.yaml give cnpg_pg_stat_archiver_last_archived_time and
 *   _last_failed_time, cnpg_pg_replication_lag, cnpg_pg_replication_in_recovery and
 *   cnpg_pg_replication_slots_pg_wal_lsn_diff; pkg/management/postgres/webserver/metricserver/
 *   pg_collector.go gives cnpg_collector_last_available_backup_timestamp (cluster status
 *   lastSuccessfulBackup, which in 1.30 only volume-snapshot backups and the deprecated in-tree
 *   barmanObjectStore update: api/v1/cluster_funcs.go UpdateBackupTimes, called from
 *   internal/controller/backup_controller.go for snapshots and pkg/management/postgres/backup.go for
 *   in-tree Barman; plugin backups never call it, and this chart uses no in-tree Barman, so here it
 *   is the newest volume snapshot). Only the primary sets it, replicas report 0: take the max.
 *   pkg/management/pgbouncer/metricsserver gives cnpg_pgbouncer_last_collection_error and
 *   cnpg_pgbouncer_pools_maxwait (not cnpg_pgbouncer_up: defined there but never collected).
 * - Prometheus itself: `up` of each scrape target (prometheus/prometheus scrape/scrape.go).
 * lib/rules/metric-catalog.ts lists each with its type, labels and upstream file at the pinned
 * version; test/metric-catalog.test.ts fails on a metric missing there.
 * - Barman Cloud plugin (cloudnative-pg/plugin-barman-cloud internal/cnpgi/instance/metrics.go,
 *   web/docs/observability.md): barman_cloud_cloudnative_pg_io_last_available_backup_timestamp,
 *   served through the instance manager's exporter; 0 when the object store has no backup yet.
 * - prometheus_exporter (discourse/prometheus_exporter lib/prometheus_exporter/server/
 *   sidekiq_queue_collector.rb): sidekiq_queue_latency_seconds and sidekiq_queue_backlog{queue},
 *   reported by every Sidekiq process that serves the queue (so take the max, never the sum); the
 *   in-process server Sidekiq uses here adds no prefix.
 * - cloudflared: none. Its cloudflared_tunnel_ha_connections (supervisor/metrics.go) counts
 *   connection attempts, not connections (supervisor/tunnel.go, EdgeTunnelServer.Serve), so the
 *   tunnel alerts read the connectors' readiness (/ready, metrics/readiness.go) through
 *   kube-state-metrics.
 * - redis_exporter (oliver006/redis_exporter exporter/exporter.go): redis_up,
 *   redis_memory_used_bytes, redis_memory_max_bytes.
 * - node-exporter (prometheus/node_exporter collector/netstat_linux.go, default
 *   --collector.netstat.fields): node_netstat_Tcp_RetransSegs and node_netstat_Tcp_OutSegs.
 */
import { resourceName, webMetricsName } from '../rules/names';
import { longestGapSeconds, missedRunGrace } from './cron';
import { cnpgNames } from './database';
import { K3S_EVICTION_HARD } from './k3s';
import { parseMemory, parsePgSizeMB } from './quantity';
import { SLOT_LOST_METRIC, SLOT_UNRESERVED_METRIC } from './slot-queries';
import type { ResolvedConfig } from '../model';

/** How urgent: critical pages someone, warning waits for the morning. */
export type Severity = 'critical' | 'warning';

/** One alerting rule with its runbook line. */
export interface AlertRule {
  /** The symptom, e.g. MastodonWebDown. */
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires, e.g. `5m`. */
  readonly for: string;
  readonly severity: Severity;
  /** One line for the notification title. */
  readonly summary: string;
  /** What is wrong, with the labels that say where. */
  readonly description: string;
  /** What to check and how to fix it. */
  readonly action: string;
  /** Extra labels that tell rules of the same name apart (queue, pool). @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A named group of rules (one Prometheus rule group). */
export interface AlertGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** The README section every runbook_url points at. */
export const RUNBOOK_ANCHOR = 'monitoring-and-alerts';

const sel = (labels: Record<string, string>): string =>
  `{${Object.entries(labels).map(([k, v]) => (v.startsWith('~') ? `${k}=~"${v.slice(1)}"` : v.startsWith('!') ? `${k}!="${v.slice(1)}"` : `${k}="${v}"`)).join(', ')}}`;
/** A name as an RE2 literal inside a PromQL string (dots escaped). */
const literal = (name: string) => name.replace(/\./g, '\\\\.');
const hours = (s: number) => `${Math.round((s / 3600) * 10) / 10}h`;

/** The alert groups for a config. */
export function alertGroups(c: ResolvedConfig): AlertGroup[] {
  const ns = c.namespace;
  const inst = c.name;
  const mon = c.resolvedMonitoring;
  const groups: AlertGroup[] = [];
  const deployment = (name: string) => sel({ namespace: ns, deployment: name });

  // Frontend: web, streaming, the tunnel.
  const frontend: AlertRule[] = [];
  for (const [part, label] of [['web', 'Web (Puma)'], ['streaming', 'Streaming']] as const) {
    const name = resourceName(inst, part);
    const Part = part === 'web' ? 'Web' : 'Streaming';
    frontend.push({
      alert: `Mastodon${Part}Degraded`,
      expr: `kube_deployment_status_replicas_available${deployment(name)} < kube_deployment_spec_replicas${deployment(name)}`,
      for: '15m',
      severity: 'warning',
      summary: `${label} has fewer pods available than wanted`,
      description: `{{ $value }} ${name} pods available, fewer than the Deployment wants, for 15 minutes; one more loss takes the site down.`,
      action: `kubectl -n ${ns} get pods -l app.kubernetes.io/component=${part} -o wide; describe the pending or crashing pod (Insufficient memory: a node is gone or full, see npm run plan; OOMKilled: raise ${part}.resources.limits.memory).`,
    });
    frontend.push({
      alert: `Mastodon${Part}Down`,
      expr: `kube_deployment_status_replicas_available${deployment(name)} == 0 and kube_deployment_spec_replicas${deployment(name)} > 0`,
      for: '3m',
      severity: 'critical',
      summary: `${label} has no pod available`,
      description: `No ${name} pod has been available for 3 minutes: ${part === 'web' ? 'the site is down' : 'timelines stop updating live'}.`,
      action: `kubectl -n ${ns} get pods -l app.kubernetes.io/component=${part}; kubectl -n ${ns} describe deployment ${name}; read the last logs (kubectl logs --previous). Check the database and Redis alerts first: ${part} fails its health check without them.`,
    });
  }
  if (mon) {
    // Web's prometheus_exporter runs in its own Deployment (lib/web-metrics.ts): when it is gone
    // web keeps serving, but its metrics are lost and every Puma process logs a failed send
    // every half second (discourse/prometheus_exporter client.rb worker_loop). absent(): the
    // Deployment deleted (or kube-state-metrics no longer sees it) counts as down too.
    const name = webMetricsName(inst);
    const avail = `kube_deployment_status_replicas_available${deployment(name)}`;
    frontend.push({
      alert: 'MastodonWebMetricsDown',
      expr: `${avail} == 0 or absent(${avail})`,
      for: '10m',
      severity: 'warning',
      summary: "Web's metrics exporter is down",
      description: `No ${name} pod has been available for 10 minutes (or the Deployment is gone): the site still serves, but Puma's metrics are lost and web's logs fill with 'Prometheus Exporter, failed to send message'.`,
      action: `kubectl -n ${ns} get deploy,pods -l app.kubernetes.io/component=web-metrics -o wide; describe the pod (ImagePullBackOff, OOMKilled: raise monitoring.webExporter.resources.limits.memory; Pending: npm run plan). A deleted Deployment comes back with the next Argo CD sync.`,
    });
  }
  if (c.tunnel) {
    const name = resourceName(inst, 'tunnel');
    // Not cloudflared_tunnel_ha_connections: cloudflared (supervisor/tunnel.go, EdgeTunnelServer.Serve)
    // increments it before dialling and decrements it only after its own retry backoff, so it
    // counts connection attempts and stays up while the edge is unreachable. The connectors'
    // readiness probe is /ready, which answers 200 only while tunnelstate's CountActiveConns() > 0
    // (metrics/readiness.go): no available replica is no connection to Cloudflare.
    frontend.push({
      alert: 'CloudflareTunnelDown',
      expr: `kube_deployment_status_replicas_available${deployment(name)} == 0 and kube_deployment_spec_replicas${deployment(name)} > 0`,
      for: '3m',
      severity: 'critical',
      summary: 'The Cloudflare Tunnel has no healthy connection',
      description: `No ${name} connector has been ready for 3 minutes: none holds a connection to Cloudflare's edge (cloudflared's /ready), so nobody can reach the site.`,
      action: `kubectl -n ${ns} logs deploy/${name}; check outbound 7844 (QUIC/UDP, or TCP with protocol http2) and that the tunnel credentials Secret still matches (cloudflared tunnel info). On a link with a small MTU set tunnel.protocol: http2.`,
    });
    frontend.push({
      alert: 'CloudflareTunnelDegraded',
      expr: `kube_deployment_status_replicas_available${deployment(name)} < kube_deployment_spec_replicas${deployment(name)}`,
      for: '15m',
      severity: 'warning',
      summary: 'Fewer tunnel connectors than wanted',
      description: `{{ $value }} ${name} connectors available, fewer than wanted, for 15 minutes; the tunnel is the only way in.`,
      action: `kubectl -n ${ns} get pods -l app.kubernetes.io/component=tunnel -o wide; a connector that is not ready has no connection to Cloudflare: read its logs.`,
    });
  }
  groups.push({ name: 'mastodon-frontend', rules: frontend });

  // Database (CloudNativePG).
  if (c.database.mode === 'cnpg') {
    const n = cnpgNames(inst);
    const db = c.database;
    const instances = { namespace: ns, pod: `~${n.cluster}-[0-9]+` };
    const poolers = { namespace: ns, pod: `~${n.pooler}-.+` };
    const rules: AlertRule[] = [
      {
        alert: 'PostgresWalArchivingFailing',
        expr: `cnpg_pg_stat_archiver_last_failed_time${sel(instances)} > cnpg_pg_stat_archiver_last_archived_time${sel(instances)}`,
        for: '15m',
        severity: 'critical',
        summary: 'WAL archiving to object storage is failing',
        description: 'On {{ $labels.pod }} the last WAL archive attempt failed and none has succeeded since, for 15 minutes: point-in-time recovery stops at the last archived segment, and WAL piles up on the WAL volume.',
        action: `kubectl -n ${ns} logs ${'{{ $labels.pod }}'} -c plugin-barman-cloud (and -c postgres); check the object store credentials Secret, the bucket, the endpoint and its quota. Archiving resumes by itself once the store answers.`,
      },
    ];
    if (mon?.baseBackupMaxAgeSeconds !== undefined) {
      rules.push({
        alert: 'PostgresBaseBackupTooOld',
        expr: `time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp${sel(instances)}) > ${mon.baseBackupMaxAgeSeconds}`,
        for: '30m',
        severity: 'warning',
        summary: 'The newest base backup is older than its schedule allows',
        description: `The newest base backup in the object store is older than ${hours(mon.baseBackupMaxAgeSeconds)} (schedule '${db.backup.objectStore.baseBackupSchedule}' plus grace): restores need ever more WAL.`,
        action: `kubectl -n ${ns} get backups.postgresql.cnpg.io --sort-by=.metadata.creationTimestamp; describe the failed ones; kubectl -n ${ns} get scheduledbackup ${n.baseBackup}. Take one now with kubectl cnpg backup ${n.cluster} --method plugin --plugin-name barman-cloud.cloudnative-pg.io.`,
      });
    }
    if (db.backup.volumeSnapshot) {
      rules.push({
        alert: 'PostgresSnapshotBackupTooOld',
        expr: `time() - max(cnpg_collector_last_available_backup_timestamp${sel(instances)}) > ${8 * 86400}`,
        for: '1h',
        severity: 'warning',
        summary: 'The newest volume-snapshot backup is older than 8 days',
        description: 'The weekly volume snapshot (the second backup tier) is missing or older than 8 days. A new cluster fires this until its first snapshot.',
        action: `kubectl -n ${ns} get backups.postgresql.cnpg.io -l cnpg.io/scheduled-backup=${n.snapshotBackup}; kubectl get volumesnapshots -n ${ns}; check the VolumeSnapshotClass and the CSI snapshotter. Take one now with kubectl cnpg backup ${n.cluster} --method volumeSnapshot.`,
      });
    }
    // Past max_slot_wal_keep_size Postgres invalidates the slot and the replica must be cloned
    // again (lib/rules/wal.ts derives it from the WAL volume): warn at three quarters of it.
    const explicitKeep = db.parameters.max_slot_wal_keep_size !== undefined ? parsePgSizeMB(db.parameters.max_slot_wal_keep_size) : undefined;
    const keepMB = explicitKeep !== undefined && explicitKeep > 0 ? explicitKeep : c.postgres?.wal.maxSlotWalKeepSizeMB;
    const slotLimit = keepMB !== undefined && keepMB > 0 ? Math.floor(keepMB * 0.75 * 2 ** 20) : Math.floor(parseMemory(db.walStorage.size) / 2);
    rules.push(
      {
        alert: 'PostgresReplicationSlotHoldingWal',
        expr: `cnpg_pg_replication_slots_pg_wal_lsn_diff${sel(instances)} > ${slotLimit}`,
        for: '15m',
        severity: 'warning',
        summary: 'A replication slot holds back much WAL',
        description: `Slot {{ $labels.slot_name }} on {{ $labels.pod }} keeps {{ $value | humanize1024 }}B of WAL${keepMB !== undefined && keepMB > 0 ? `, over three quarters of max_slot_wal_keep_size (${keepMB}MB): past it Postgres drops the slot and that replica must be cloned again` : ', more than half the WAL volume'}.`,
        action: `kubectl cnpg status ${n.cluster} -n ${ns}: a replica that is down or far behind holds its slot. Bring it back or, if it is gone for good, delete its pod and PVC so the operator recreates it.`,
      },
      {
        // wal_status from the chart's own query (lib/rules/slot-queries.ts): CloudNativePG's
        // default metrics have no slot state.
        alert: 'PostgresReplicationSlotUnreserved',
        expr: `max by (namespace, pod, slot_name) (${SLOT_UNRESERVED_METRIC}${sel(instances)}) == 1`,
        for: '5m',
        severity: 'warning',
        summary: 'A replication slot is about to be invalidated',
        description: `Slot {{ $labels.slot_name }} on {{ $labels.pod }} needs WAL past max_slot_wal_keep_size${keepMB !== undefined && keepMB > 0 ? ` (${keepMB}MB)` : ''} (wal_status unreserved): the next checkpoint removes it and invalidates the slot.`,
        action: `kubectl cnpg status ${n.cluster} -n ${ns}: bring the standby of that slot back now (its pod, its node), or accept that it will replay from the archive; see PostgresReplicationSlotLost.`,
      },
      {
        // A warning, like PostgresReplicaLagging: a standby without its slot replays from the
        // archive (up to archive_timeout behind), nothing is down, and CloudNativePG's failover
        // prefers the standby with the highest received LSN (pkg/postgres/status.go).
        alert: 'PostgresReplicationSlotLost',
        expr: `max by (namespace, pod, slot_name) (${SLOT_LOST_METRIC}${sel(instances)}) == 1`,
        for: '5m',
        severity: 'warning',
        summary: 'A replication slot is invalidated: it keeps no WAL for its standby',
        description: 'Slot {{ $labels.slot_name }} on {{ $labels.pod }} is invalidated (wal_status lost, or an invalidation_reason on Postgres 17+): the WAL it needed was removed. Postgres 18 refuses to stream from it, so that standby replays only from the WAL archive, up to archive_timeout behind. 16 and 17 let the standby stream through it again, but the slot stays invalidated and keeps no WAL for it until it is dropped (on 16 it then shows as unreserved). 14 and 15 give it a position again once the standby streams, and this clears.',
        // The query runs on every instance: a standby reports its copies of the other standbys'
        // HA slots, which CloudNativePG's slot runner (internal/management/controller/slots/runner)
        // deletes only when the primary has no such slot and cannot advance once invalidated.
        action: `kubectl cnpg status ${n.cluster} -n ${ns}. CloudNativePG only creates missing slots, never replaces an invalidated one: drop it on the pod that reports it, kubectl exec -n ${ns} {{ $labels.pod }} -c postgres -- psql -c "SELECT pg_drop_replication_slot('{{ $labels.slot_name }}')"; on the primary the operator creates a fresh slot, on a standby its slot runner copies the primary's again. If the archive no longer has the WAL the standby needs: kubectl cnpg destroy ${n.cluster} <instance> -n ${ns} so it is cloned again.`,
      },
      {
        alert: 'PostgresReplicaLagging',
        expr: `cnpg_pg_replication_lag${sel(instances)} > 300`,
        for: '10m',
        severity: 'warning',
        summary: 'A Postgres replica is more than 5 minutes behind',
        description: '{{ $labels.pod }} replays WAL {{ $value | humanizeDuration }} behind the primary; a failover to it would lose that much.',
        action: `kubectl cnpg status ${n.cluster} -n ${ns}; check the replica's node (CPU, disk, network: see NodeTcpRetransmissionsHigh) and its logs.`,
      },
      {
        alert: 'PostgresNoPrimary',
        expr: `absent(cnpg_pg_replication_in_recovery${sel(instances)} == 0)`,
        for: '2m',
        severity: 'critical',
        summary: 'The Postgres cluster has no primary',
        description: `No instance of ${n.cluster} reports itself as primary (or none can be scraped) for 2 minutes: every write fails.`,
        action: `kubectl cnpg status ${n.cluster} -n ${ns}; kubectl -n ${ns} get pods -l cnpg.io/cluster=${n.cluster} -o wide; read the operator's logs. A failover normally finishes in seconds; if the instances are fenced or their node is gone, follow docs/restore.md.`,
      },
      {
        alert: 'PostgresCorruptionCheckFailed',
        // The Job's Failed condition (kube-state-metrics internal/store/job.go kube_job_failed), not
        // its failed pod count: a pod the Job retried (backoffLimit 1) or ignored (a disruption)
        // must not page when the retry succeeds. max by keeps it one alert per Job.
        expr: `max by (namespace, job_name) (kube_job_failed${sel({ namespace: ns, job_name: `~${n.amcheck}-[0-9]+`, condition: 'true' })}) > 0`,
        for: '1m',
        severity: 'critical',
        summary: 'pg_amcheck found corruption (or could not run)',
        description: 'The weekly corruption check Job {{ $labels.job_name }} failed.',
        action: `kubectl -n ${ns} logs job/{{ $labels.job_name }}. First check whether a switchover or failover happened during the check (kubectl cnpg status ${n.cluster} -n ${ns}; kubectl -n ${ns} get events --field-selector involvedObject.name=${n.cluster}): a check cut off by one is not corruption, so rerun it (kubectl create job --from=cronjob/${n.amcheck}). It checks the primary. An index error: REINDEX it. A heap error: check a replica the same way (PGHOST=${n.replicaService}) and promote a clean one (kubectl cnpg promote), or restore from backups (docs/restore.md). Delete the Job once handled: the alert lasts as long as the failed Job is kept.`,
      },
    );
    // A check that never finishes never fails: a Job stuck Pending or in ImagePullBackOff blocks
    // every later run (concurrencyPolicy Forbid) without a failed Job. kube-state-metrics
    // (internal/store/cronjob.go) reports kube_cronjob_status_last_successful_time only once a run
    // succeeded, so a CronJob that never succeeded counts from kube_cronjob_created.
    const amcheckGap = longestGapSeconds(`0 ${db.amcheck.schedule}`);
    if (amcheckGap !== undefined) {
      const maxAge = amcheckGap + missedRunGrace(amcheckGap);
      const cronjob = sel({ namespace: ns, cronjob: n.amcheck });
      rules.push({
        alert: 'PostgresCorruptionCheckNotRun',
        expr: `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time${cronjob} or kube_cronjob_created${cronjob}) > ${maxAge}`,
        for: '1h',
        severity: 'warning',
        summary: 'The corruption check has not succeeded for longer than its schedule allows',
        description: `pg_amcheck (CronJob ${n.amcheck}, schedule '${db.amcheck.schedule}') has not completed successfully for over ${hours(maxAge)}: corruption would go unnoticed.`,
        action: `kubectl -n ${ns} get jobs,pods -l app.kubernetes.io/component=amcheck; a Job stuck Pending or in ImagePullBackOff blocks every later run: describe its pod, fix the cause, delete the Job (kubectl create job --from=cronjob/${n.amcheck} to run it now).`,
      });
    }
    rules.push(
      {
        alert: 'PgBouncerDown',
        // cnpg_pgbouncer_up never reaches a scrape (CloudNativePG v1.30.0 pgbouncer_collector.go
        // sets it but neither Describe() nor Collect() sends it). last_collection_error is written
        // by each collector in turn and SHOW STATS runs last (stats.go sets it to 0 when its query
        // succeeds), so it is 1 when this scrape's SHOW STATS failed or no admin connection opened.
        // A hung PgBouncer hangs the scrape instead: Prometheus's scrape timeout makes `up` 0, as
        // does an exporter that does not answer (the instance manager restarting after pgbouncer
        // exited, internal/cmd/manager/pgbouncer/run).
        expr: `max by (namespace, pod) (cnpg_pgbouncer_last_collection_error${sel(poolers)}) == 1 or max by (namespace, pod) (up${sel(poolers)}) == 0`,
        for: '3m',
        severity: 'warning',
        summary: 'A PgBouncer pooler pod does not answer',
        description: 'PgBouncer in {{ $labels.pod }} has not answered its admin console (SHOW STATS), or the pod has not answered Prometheus within the scrape timeout, for 3 minutes: clients of that pod get no connection.',
        action: `kubectl -n ${ns} logs {{ $labels.pod }} (the pgbouncer process: crashed, hung, out of file descriptors, or its config rejected; the exporter logs each failed SHOW query); delete the pod to get a fresh one. Postgres itself: PostgresNoPrimary.`,
      },
      {
        alert: 'PgBouncerAllDown',
        // No pooler pod answers: all gone or Pending (after a node loss, or the Pooler deleted),
        // all hung, or Prometheus not selecting the PodMonitor. Nothing reaches the database then,
        // so it pages, like RedisDown; per-pod trouble stays PgBouncerDown's warning.
        expr: `absent(up${sel(poolers)} == 1)`,
        for: '3m',
        severity: 'critical',
        summary: 'No PgBouncer pooler pod answers',
        description: `No pod of the pooler ${n.pooler} has answered Prometheus for 3 minutes: the pods are gone, Pending or hung (then web, streaming and Sidekiq reach no database), or Prometheus does not select the ${n.pooler} PodMonitor.`,
        action: `kubectl -n ${ns} get pooler,pods -l cnpg.io/poolerName=${n.pooler} -o wide; Pending: is a node gone or full (npm run plan)? Running but not answering: read their logs and delete them. No pods and no Pooler: Argo CD recreates it (or apply dist/ again). Pods fine: check that Prometheus selects the PodMonitor (monitoring.monitorLabels).`,
      },
      {
        alert: 'PgBouncerClientsWaiting',
        expr: `max by (namespace, pod) (cnpg_pgbouncer_pools_maxwait${sel(poolers)}) > 10`,
        for: '5m',
        severity: 'warning',
        summary: 'Clients wait for a database connection',
        description: 'The oldest client on {{ $labels.pod }} has waited {{ $value }}s for a server connection, for 5 minutes.',
        action: 'Slow queries or a pool too small: check long transactions (cnpg_backends_max_tx_duration_seconds), then raise database.pooler.defaultPoolSize within the connection budget (npm run budget).',
      },
    );
    groups.push({ name: 'mastodon-database', rules });
  }

  // Redis.
  if (c.redis.mode === 'internal') {
    // redis_exporter's own pods (Deployment <inst>-redis-metrics, lib/redis.ts): `pod` is the exporter's.
    const exporterName = resourceName(inst, 'redis', 'metrics');
    const pods = { namespace: ns, pod: `~${literal(exporterName)}-.+` };
    const redisPod = resourceName(inst, 'redis', '0');
    groups.push({
      name: 'mastodon-redis',
      rules: [
        {
          alert: 'RedisDown',
          expr: `redis_up${sel(pods)} == 0`,
          for: '3m',
          severity: 'critical',
          summary: 'Redis is down',
          description: 'redis_exporter has not reached Redis through its Service for 3 minutes (Redis stopped, or not Ready): web, streaming and Sidekiq all fail without it.',
          action: `kubectl -n ${ns} get pod ${redisPod} -o wide; kubectl -n ${ns} logs ${redisPod} -c redis. A large append-only file takes minutes to load after a restart.`,
        },
        {
          alert: 'RedisExporterDown',
          expr: `absent(redis_up${sel(pods)})`,
          for: '10m',
          severity: 'warning',
          summary: 'The Redis exporter is gone',
          description: 'No redis_up series for 10 minutes: the Redis alerts are blind. Redis itself is not affected (the exporter runs in its own pod).',
          action: `kubectl -n ${ns} get pods -l app.kubernetes.io/component=redis-metrics; kubectl -n ${ns} describe deployment ${exporterName} (ImagePullBackOff, OOMKilled: raise monitoring.redisExporter.resources.limits.memory).`,
        },
        {
          alert: 'RedisMemoryNearLimit',
          expr: `redis_memory_used_bytes${sel(pods)} / redis_memory_max_bytes${sel(pods)} > 0.9 and redis_memory_max_bytes${sel(pods)} > 0`,
          for: '15m',
          severity: 'warning',
          summary: 'Redis is close to maxmemory',
          description: 'Redis uses {{ $value | humanizePercentage }} of maxmemory; at 100% it refuses writes (noeviction) and Sidekiq stops taking jobs.',
          action: 'Look for a queue backlog (SidekiqQueueBacklogged) and clear its cause, or raise redis.resources.limits.memory (maxmemory is 75% of it).',
        },
      ],
    });
  }

  // Sidekiq: per queue (with the process groups that serve it), per process group, the scheduler.
  const procs = c.sidekiq.processes;
  const queues = [...new Set(procs.flatMap((p) => p.queues))];
  const latency = mon?.sidekiq.latencySeconds ?? 300;
  const backlog = mon?.sidekiq.backlog ?? 10000;
  const sidekiq: AlertRule[] = queues.map((q) => {
    const servers = procs.filter((p) => p.queues.includes(q)).map((p) => `${p.name}${p.queues[0] === q ? ' (first)' : ''}`);
    const qs = sel({ namespace: ns, queue: q });
    return {
      alert: 'SidekiqQueueBacklogged',
      expr: `max(sidekiq_queue_latency_seconds${qs}) > ${latency} or max(sidekiq_queue_backlog${qs}) > ${backlog}`,
      for: '10m',
      severity: 'warning',
      labels: { queue: q },
      summary: `Sidekiq queue ${q} is falling behind`,
      description: `Queue ${q} has had jobs waiting more than ${latency}s or more than ${backlog} jobs for 10 minutes (now {{ $value }}). Served by: ${servers.join(', ')}.`,
      action: `Check SidekiqProcessGroupDown and the pods of ${servers.map((s) => s.split(' ')[0]).join(', ')}; look for a slow or failing job class in the logs; add replicas to the group that serves ${q} first.`,
    };
  });
  sidekiq.push({
    alert: 'SidekiqProcessGroupDown',
    expr: `kube_deployment_status_replicas_available${sel({ namespace: ns, deployment: `~${resourceName(inst, 'sidekiq')}-.+` })} == 0 and kube_deployment_spec_replicas${sel({ namespace: ns, deployment: `~${resourceName(inst, 'sidekiq')}-.+` })} > 0`,
    for: '10m',
    severity: 'critical',
    summary: 'A Sidekiq process group has no ready pod',
    description: '{{ $labels.deployment }} has had no available pod for 10 minutes: its queues are not worked.',
    action: `kubectl -n ${ns} get pods -l app.kubernetes.io/component=sidekiq -o wide; describe the pending pod (an on-prem group waits for its fallback pool: is the cloud full? npm run plan) or read the logs of the crashing one.`,
  });
  const schedulers = procs.filter((p) => p.servesScheduler).map((p) => resourceName(inst, 'sidekiq', p.name));
  if (schedulers.length > 0) {
    sidekiq.push({
      alert: 'SidekiqSchedulerNotRunning',
      // Quiet while the group is scaled to 0 on purpose (maintenance.stopWorkloads).
      expr: `sum(kube_deployment_status_replicas_available${sel({ namespace: ns, deployment: `~${schedulers.join('|')}` })}) < 1 and sum(kube_deployment_spec_replicas${sel({ namespace: ns, deployment: `~${schedulers.join('|')}` })}) > 0 or max(sidekiq_queue_latency_seconds${sel({ namespace: ns, queue: 'scheduler' })}) > 600`,
      for: '10m',
      severity: 'critical',
      summary: 'The Sidekiq scheduler is not running',
      description: `${schedulers.join(', ')} (the only process serving the scheduler queue) is down, or scheduler jobs wait over 10 minutes: no cleanup, no scheduled statuses, no trend updates.`,
      action: `kubectl -n ${ns} get pods -l cdk8s-mastodon/sidekiq-process=${procs.find((p) => p.servesScheduler)!.name} -o wide; the group runs one replica with the Recreate strategy, so a stuck rollout stops it: describe the Deployment.`,
    });
  }
  groups.push({ name: 'mastodon-sidekiq', rules: sidekiq });

  // Volumes (Postgres data and WAL, Redis, media), by trend: full within days at the rate of the
  // last 6 hours, and already fuller than a threshold, so a fresh volume's first growth is quiet.
  const nsSel = sel({ namespace: ns });
  const avail = `kubelet_volume_stats_available_bytes${nsSel}`;
  const ratio = `${avail} / kubelet_volume_stats_capacity_bytes${nsSel}`;
  groups.push({
    name: 'mastodon-volumes',
    rules: [
      {
        alert: 'MastodonVolumeFillingUp',
        expr: `(${ratio}) < 0.3 and predict_linear(${avail}[6h], ${4 * 86400}) < 0`,
        for: '1h',
        severity: 'warning',
        summary: 'A volume will be full within 4 days at the current rate',
        description: 'PVC {{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} free and, at the rate of the last 6 hours, fills within 4 days.',
        action: `A WAL volume (-wal) that grows: WAL archiving failing (PostgresWalArchivingFailing) or a replication slot holding WAL. A data volume: grow database.storage.size (CloudNativePG resizes the PVCs when the StorageClass allows expansion). Redis: a queue backlog.`,
      },
      {
        alert: 'MastodonVolumeAlmostFull',
        expr: `(${ratio}) < 0.1 and predict_linear(${avail}[6h], 86400) < 0`,
        for: '15m',
        severity: 'critical',
        summary: 'A volume will be full within a day',
        description: 'PVC {{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} free and fills within 24 hours at the current rate; Postgres stops when its WAL or data volume is full.',
        action: 'Act now: fix the cause named under MastodonVolumeFillingUp, or grow the volume (storage.size / walStorage.size, then let CloudNativePG resize the PVCs). On k3s local-path the numbers are the whole node filesystem and a claim cannot grow: free space on the node (MastodonNodeFilesystemAlmostFull).',
      },
    ],
  });

  // The nodes' own filesystems. On local-path volumes the kubelet reports either nothing (hostPath
  // PVs: kubernetes/kubernetes pkg/volume/hostpath/host_path.go embeds volume.MetricsNil) or the
  // whole node filesystem (local PVs, k3s' StorageClass since k3s-io/k3s#9872: statfs of the bind
  // mount), never the claim's size (docs/monitoring.md), and a full node disk is
  // what stops Postgres: read node-exporter's filesystem metrics (prometheus/node_exporter
  // collector/filesystem_linux.go: node_filesystem_avail_bytes and _size_bytes{device,
  // fstype, mountpoint} from statfs, readonly from ST_RDONLY) for disk-backed filesystems.
  const diskFs = sel({ fstype: '~ext4|xfs|btrfs|f2fs|zfs' });
  const fsAvail = `node_filesystem_avail_bytes${diskFs}`;
  const fsRatio = `${fsAvail} / node_filesystem_size_bytes${diskFs}`;
  groups.push({
    name: 'mastodon-node-filesystems',
    rules: [
      {
        alert: 'MastodonNodeFilesystemFillingUp',
        expr: `(${fsRatio}) < 0.25 and predict_linear(${fsAvail}[6h], ${4 * 86400}) < 0 and node_filesystem_readonly${diskFs} == 0`,
        for: '1h',
        severity: 'warning',
        summary: 'A node filesystem will be full within 4 days at the current rate',
        description: '{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has {{ $value | humanizePercentage }} free and fills within 4 days at the rate of the last 6 hours. local-path volumes live on it and report no volume stats of their own (docs/monitoring.md).',
        action: 'df -h and du -xsh /var/lib/rancher/k3s/storage/* on that node: a Postgres -wal volume that grows means archiving or a slot (PostgresWalArchivingFailing, PostgresReplicationSlotHoldingWal); also container images (crictl rmi --prune) and logs. Free space or move the volume to a bigger disk.',
      },
      {
        alert: 'MastodonNodeFilesystemAlmostFull',
        // k3s' kubelet evicts at nodefs.available < 5% (./k3s K3S_EVICTION_HARD): page well before it.
        expr: `(${fsRatio}) < 0.15 and predict_linear(${fsAvail}[6h], 86400) < 0 and node_filesystem_readonly${diskFs} == 0`,
        for: '15m',
        severity: 'critical',
        summary: 'A node filesystem will be full within a day',
        description: `{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has {{ $value | humanizePercentage }} free and fills within 24 hours: below ${K3S_EVICTION_HARD.nodefsAvailable * 100}% free k3s' kubelet evicts pods (the nodefs.available and imagefs.available hard thresholds k3s sets), and Postgres and Redis on local-path volumes of that node stop when it is full.`,
        action: 'Act now: free space on that node (see MastodonNodeFilesystemFillingUp); if Postgres already stopped, free space first, then it restarts by itself.',
      },
    ],
  });

  // Memory and restarts, for every container of the namespace.
  groups.push({
    name: 'mastodon-memory',
    rules: [
      {
        alert: 'MastodonContainerOOMKilled',
        expr: `(increase(kube_pod_container_status_restarts_total${nsSel}[15m]) > 0) and on (namespace, pod, container) (kube_pod_container_status_last_terminated_reason${sel({ namespace: ns, reason: 'OOMKilled' })} == 1)`,
        for: '1m',
        severity: 'warning',
        summary: 'A container was OOM-killed',
        description: '{{ $labels.container }} in {{ $labels.pod }} was killed for using more memory than its limit and restarted.',
        action: 'One kill in a while: Ruby grows with time, let it be. Again and again: raise that component\'s resources.limits.memory (and the request, so the planner keeps room; npm run plan).',
      },
      {
        alert: 'MastodonContainerRestarting',
        expr: `increase(kube_pod_container_status_restarts_total${nsSel}[1h]) > 3`,
        for: '15m',
        severity: 'warning',
        summary: 'A container keeps restarting',
        description: '{{ $labels.container }} in {{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last hour.',
        action: `kubectl -n ${ns} describe pod {{ $labels.pod }} (Last State: the reason and exit code); kubectl -n ${ns} logs {{ $labels.pod }} -c {{ $labels.container }} --previous.`,
      },
      {
        alert: 'MastodonContainerNearMemoryLimit',
        expr: `max by (namespace, pod, container) (container_memory_working_set_bytes${sel({ namespace: ns, container: '!' })}) / max by (namespace, pod, container) (kube_pod_container_resource_limits${sel({ namespace: ns, resource: 'memory' })}) > 0.9`,
        for: '30m',
        severity: 'warning',
        summary: 'A container has been near its memory limit for 30 minutes',
        description: '{{ $labels.container }} in {{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit.',
        action: 'It will be OOM-killed soon: raise resources.limits.memory (and the request) for that component, or for Sidekiq lower its concurrency.',
      },
    ],
  });

  // Nodes and the network between them.
  const pools = new Map<string, string[]>();
  for (const node of c.nodes.inventory) pools.set(node.pool, [...(pools.get(node.pool) ?? []), node.name]);
  groups.push({
    name: 'mastodon-nodes',
    rules: [
      ...[...pools.entries()].map(([pool, nodes]): AlertRule => ({
        alert: 'MastodonNodeNotReady',
        expr: `kube_node_status_condition${sel({ condition: 'Ready', status: 'true', node: `~${nodes.map(literal).join('|')}` })} == 0`,
        for: '5m',
        severity: 'warning',
        labels: { pool },
        summary: `A node of pool ${pool} is not ready`,
        description: `{{ $labels.node }} (pool ${pool}) has not been Ready for 5 minutes. The chart is built to survive it: pods leave it after network.failoverSeconds.`,
        action: 'Check the machine and its link (an on-prem board: power and the home ISP). Sidekiq moves to its fallback pool by itself; confirm with kubectl get pods -o wide, and that nothing is Pending (npm run plan).',
      })),
      {
        alert: 'NodeTcpRetransmissionsHigh',
        expr: 'rate(node_netstat_Tcp_RetransSegs[5m]) / rate(node_netstat_Tcp_OutSegs[5m]) > 0.01 and rate(node_netstat_Tcp_OutSegs[5m]) > 100',
        for: '15m',
        severity: 'warning',
        summary: 'A node retransmits more than 1% of its TCP segments',
        description: '{{ $labels.instance }} retransmits {{ $value | humanizePercentage }} of TCP segments: packet loss, usually an MTU mismatch on the overlay or a bad link.',
        action: 'Run the iperf3 matrix (npm run netcheck, docs/network.md) to find the slow pair; compare the flannel MTU with the path MTU (ping -M do -s); enable BBR.',
      },
    ],
  });
  return groups;
}

/** One alerting rule as Prometheus reads it from a rule file. */
export interface PrometheusAlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The rule groups in Prometheus' own format, with the runbook in the annotations. */
export function prometheusRuleGroups(groups: readonly AlertGroup[], runbookUrl: string): { name: string; rules: PrometheusAlertingRule[] }[] {
  return groups.map((g) => ({
    name: g.name,
    rules: g.rules.map((r) => ({
      alert: r.alert,
      expr: r.expr,
      for: r.for,
      labels: { severity: r.severity, ...(r.labels ?? {}) },
      annotations: { summary: r.summary, description: r.description, runbook: r.action, runbook_url: runbookUrl },
    })),
  }));
}
