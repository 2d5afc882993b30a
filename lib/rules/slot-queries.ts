/**
 * The one custom CloudNativePG monitoring query the chart adds: the state of each replication
 * slot's WAL reservation, which CloudNativePG's own metrics do not export. Pure: no cdk8s imports.
 *
 * Verified in cloudnative-pg/cloudnative-pg (fetched 2026-11-27, a95a534):
 * - config/manager/default-monitoring.yaml: the default `pg_replication_slots` query exports only
 *   slot_name, slot_type, database (labels), `active` and `pg_wal_lsn_diff`; `wal_status` and
 *   `safe_wal_size` are read only into the instance status (pkg/management/postgres/probes.go
 *   fillReplicationSlotsStatus), never into a metric, and the metric server
 *   (pkg/management/postgres/webserver/metricserver) has none either.
 * - api/v1/cluster_types.go MonitoringConfiguration.customQueriesConfigMap; the instance manager
 *   (internal/management/controller/instance_controller.go) reads each referenced ConfigMap key
 *   from the Cluster's namespace and parses it with pkg/management/postgres/metrics/parser.go
 *   (query, metrics: [{column: {usage: LABEL|GAUGE, description}}]); the operator keeps its
 *   default queries in front (api/v1/cluster_defaults.go) and gives the instances' Role `get` on
 *   the referenced ConfigMaps (pkg/specs/roles.go). Metric names are `cnpg_<query>_<column>`
 *   (collector.go: collector name `cnpg`). The `cnpg.io/reload` label makes the operator
 *   reconcile when the ConfigMap changes (internal/controller/cluster_predicates.go).
 *
 * Postgres (pg_replication_slots, 13+): wal_status is `reserved` or `extended` while the slot's
 * WAL is kept, `unreserved` once the slot needs more than max_slot_wal_keep_size (the next
 * checkpoint removes that WAL), `lost` once it was removed: the slot is invalidated. Postgres 18
 * refuses to stream from an invalidated slot, so that standby replays only from the archive
 * until the slot is dropped and recreated. The query is checked against Postgres 15 in
 * test/integration/wal-slots.itest.ts (a slot really invalidated by max_slot_wal_keep_size).
 */
import { stringify } from 'yaml';

/** The query's name: its metrics are `cnpg_mastodon_replication_slots_<column>`. */
export const SLOT_QUERY_NAME = 'mastodon_replication_slots';
/** 1 while the slot is invalidated (wal_status lost). */
export const SLOT_LOST_METRIC = `cnpg_${SLOT_QUERY_NAME}_lost`;
/** 1 while the slot needs WAL past max_slot_wal_keep_size (wal_status unreserved): lost at the next checkpoint. */
export const SLOT_UNRESERVED_METRIC = `cnpg_${SLOT_QUERY_NAME}_unreserved`;
/** The ConfigMap key the queries are stored under. */
export const SLOT_QUERY_KEY = 'queries';

/** The SQL, on its own so the integration test runs exactly what CloudNativePG runs. */
export const SLOT_QUERY_SQL = [
  'SELECT slot_name,',
  "  CASE WHEN wal_status = 'lost' THEN 1 ELSE 0 END AS lost,",
  "  CASE WHEN wal_status = 'unreserved' THEN 1 ELSE 0 END AS unreserved",
  'FROM pg_catalog.pg_replication_slots',
  'WHERE NOT temporary',
].join('\n');

/** The ConfigMap value: CloudNativePG's custom-queries YAML with the one query. */
export function slotQueriesYaml(): string {
  return stringify({
    [SLOT_QUERY_NAME]: {
      query: `${SLOT_QUERY_SQL}\n`,
      metrics: [
        { slot_name: { usage: 'LABEL', description: 'Name of the replication slot' } },
        { lost: { usage: 'GAUGE', description: '1 if the slot is invalidated (wal_status lost): its WAL was removed' } },
        { unreserved: { usage: 'GAUGE', description: '1 if the slot needs WAL past max_slot_wal_keep_size (wal_status unreserved): lost at the next checkpoint' } },
      ],
    },
  }, { lineWidth: 0 });
}
