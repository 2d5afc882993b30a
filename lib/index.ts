/**
 * cdk8s-mastodon: constructs that turn one validated description into a Mastodon server on a
 * hybrid (amd64 + arm64) k3s cluster.
 *
 * The public API: the constructs and charts, the config types, loader and schema, the app entry
 * point, and the planner and connection budget. Everything else is internal: import it from its
 * module inside this repository (test/public-api.test.ts lists these names).
 */

// The charts.
export { MastodonChart, type MastodonChartProps } from './chart';
export { ArgoCdChart, type ArgoCdChartProps } from './argocd';
export { NodeTuningChart, type NodeTuningChartProps } from './node-tuning';

// The constructs MastodonChart composes.
export { CloudflareTunnel, type CloudflareTunnelProps, type LocallyManagedTunnel, type RemotelyManagedTunnel } from './cloudflare-tunnel';
export { MaintenancePage, type MaintenancePageProps } from './maintenance-page';
export {
  MastodonEnvironment, type MastodonEnvironmentProps, type MastodonRedisProps, type MastodonWorkloadDefaults,
} from './mastodon-environment';
export { MastodonStreaming, type MastodonStreamingProps } from './mastodon-streaming';
export { MastodonWeb, type MastodonWebProps } from './mastodon-web';
export { MediaCleanup, type MediaCleanupProps } from './media-cleanup';
export { Migrations, type MigrationsProps, type MigrationStep } from './migrations';
export { Monitoring, type MonitoringProps } from './monitoring';
export { NetworkPolicies, type NetworkPoliciesProps } from './network-policies';
export { OpenSearch, type OpenSearchProps } from './opensearch';
export {
  PostgresCluster, type PostgresClusterProps, type PostgresBackupProps, type PostgresBootstrap, type PostgresObjectStoreProps, type PostgresPoolerProps,
  type PostgresStorage, type PostgresVolumeSnapshotProps,
} from './postgres-cluster';
export { PriorityClasses, type PriorityClassesProps } from './priority-classes';
export { Redis, type RedisProps } from './redis';
export { ScheduledRestarts, type ScheduledRestartsProps } from './scheduled-restart';
export { SearchDeploy, type SearchDeployProps } from './search-deploy';
export { SidekiqQueue, type SidekiqProcessSettings, type SidekiqQueueProps, type SidekiqQueueScaling } from './sidekiq-queue';
export { SidekiqScaling, type SidekiqScalingProps } from './sidekiq-scaling';
export { WebMetrics, type WebMetricsProps } from './web-metrics';

// The types the constructs' props and handles name: MastodonEnvironment.pods (the factory the
// Mastodon constructs build their workloads with), the database connection, labels, placement.
export type {
  MastodonPods, MastodonPodContext, MastodonDeploymentOptions, MastodonPodOptions, RailsContainerOptions,
} from './conventions/mastodon-pods';
export type { Identity } from './conventions/labels';
export type { PlacementProps } from './conventions/placement';
export type { PriorityTier } from './conventions/priority';
export type { DeploymentResult, UpdateStrategy } from './conventions/workload';
export type { CnpgNames, DatabaseConnection } from './rules/database';
// An existing Postgres for MastodonEnvironment's `database` (a PostgresCluster has `connection`).
export { externalConnection } from './rules/database';

// The config types (input, parsed, resolved) and the objects the library renders.
export type * from './model';

// The loader and the schema.
export { loadConfigFile, loadConfigText } from './config/load';
export { resolveConfig, resolveConfigOrThrow, type ResolveResult } from './config/resolve';
export { type ConfigError, formatErrors } from './config/errors';
export { MastodonConfigSchema, configJsonSchema } from './config/schema';

// The app: config file in, dist/ out.
export { synthesizeApp, type SynthesisOptions, type SynthesisResult } from './app/synthesize';

// The planner: will the pods fit the nodes, through a node loss, a rollout and a catch-up?
export { plan, type PlanOptions, type PlanReport } from './rules/plan';
export type { ControlPlane, K3sDatastore, K3sProblem } from './rules/k3s';
export { planConfig } from './app/plan-config';
export { formatPlan } from './rules/plan-report';
export { nodesFromInventory } from './rules/scheduler';
export type {
  InventoryNode, LabelSelectorTerm, LossScenario, Pending, PlanNode, PlanPlacement, PodDemand, RolloutRoom, SelectorExpression,
} from './rules/scheduler';
export type { CatchUpReport, CatchUpScenario, ScalableGroup } from './rules/catch-up';

// The Postgres connection budget (database.mode: cnpg).
export { connectionBudget, checkBudget, type BudgetWorkloads } from './rules/database';
