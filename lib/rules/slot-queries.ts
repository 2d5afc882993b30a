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
 * checkpoint removes that WAL), `lost` once it was removed: the slot is invalidated.
 * What an invalidated slot looks like later depends on the version (postgres/postgres
 * src/backend/replication/slot.c, slotfuncs.c pg_get_replication_slots):
 * - 14 and 15 mark it by an invalid restart_lsn only; a standby that streams through it again
 *   gives it a position, and it is `reserved` and keeps WAL again.
 * - 16 and 17 keep `data.invalidated` until the slot is dropped; ReplicationSlotsComputeRequiredLSN
 *   skips such a slot (it keeps no WAL), and the view shows `lost`, or `unreserved` while a
 *   walsender uses it, so a standby streaming through it again would read as "about to be
 *   lost". 17 adds `invalidation_reason` (wal_removed, rows_removed, wal_level_insufficient; 18
 *   adds idle_timeout), set for physical slots too: the query counts a slot with a reason as lost
 *   and never as unreserved. It reads the column through `to_jsonb(s)` so that the same text runs
 *   on 14 to 16, which lack it (NULL there). On 16 a reused invalidated slot still shows as
 *   unreserved: the view gives no other sign.
 * - 18 refuses to stream from an invalidated slot, so that standby replays only from the archive
 *   until the slot is dropped and recreated.
 * The query runs against Postgres 15 in test/integration/wal-slots.itest.ts (a slot really
 * invalidated by max_slot_wal_keep_size), and against rows with the 17/18 view's columns there.
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
  "  CASE WHEN wal_status = 'lost' OR to_jsonb(s) ->> 'invalidation_reason' IS NOT NULL THEN 1 ELSE 0 END AS lost,",
  "  CASE WHEN wal_status = 'unreserved' AND to_jsonb(s) ->> 'invalidation_reason' IS NULL THEN 1 ELSE 0 END AS unreserved",
  'FROM pg_catalog.pg_replication_slots s',
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
