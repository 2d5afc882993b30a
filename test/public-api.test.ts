/**
 * The public API is what lib/index.ts exports (the package's only entry point). This test lists
 * every exported name, values and types, as the TypeScript checker sees them, so that any change
 * of the public surface shows as a diff here and is made on purpose. Internals are imported from
 * their modules inside the repository; they are not part of the package's API.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import * as api from '../lib';
import { ROOT } from './support/fixtures';

/** The names lib/index.ts exports, each marked `value` (exists at run time) or `type`. */
function exportedNames(): string[] {
  const index = path.join(ROOT, 'lib', 'index.ts');
  // Every file of lib/ and nothing outside it: the names need no dependency's types (1.5 s, not 4 s).
  const files = fs.readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, 'lib', f));
  const program = ts.createProgram(files, { noEmit: true, noLib: true, noResolve: true, types: [] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    // `export type { X }` exports a class as a type only: nothing at run time.
    const typeOnly = (s.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
    return `${s.name} (${target.flags & ts.SymbolFlags.Value && !typeOnly ? 'value' : 'type'})`;
  }).sort();
}

const names = exportedNames();

test('lib/index.ts exports exactly these names', () => {
  expect(names).toEqual([
    'Arch (type)',
    'ArgoCdChart (value)',
    'ArgoCdChartProps (type)',
    'ArgoCdConfig (type)',
    'AuthInput (type)',
    'BudgetLine (type)',
    'BudgetWorkloads (type)',
    'CatchUpReport (type)',
    'CatchUpScenario (type)',
    'CleanupConfig (type)',
    'CloudflareTunnel (value)',
    'CloudflareTunnelProps (type)',
    'CnpgDatabaseConfig (type)',
    'CnpgNames (type)',
    'ConfigError (type)',
    'ConnectionBudget (type)',
    'ControlPlane (type)',
    'DatabaseConfig (type)',
    'DatabaseConnection (type)',
    'DeploymentResult (type)',
    'ExternalDatabaseConfig (type)',
    'ExtraEnvValue (type)',
    'Identity (type)',
    'ImageSpec (type)',
    'IngressRule (type)',
    'InventoryNode (type)',
    'K3sDatastore (type)',
    'K3sProblem (type)',
    'KedaConfig (type)',
    'LabelSelectorTerm (type)',
    'LocallyManagedTunnel (type)',
    'LossScenario (type)',
    'MaintenanceConfig (type)',
    'MaintenancePage (value)',
    'MaintenancePageProps (type)',
    'Manifest (type)',
    'MastodonChart (value)',
    'MastodonChartProps (type)',
    'MastodonConfigInput (type)',
    'MastodonConfigParsed (type)',
    'MastodonConfigSchema (value)',
    'MastodonDeploymentOptions (type)',
    'MastodonEnvironment (value)',
    'MastodonEnvironmentProps (type)',
    'MastodonPodContext (type)',
    'MastodonPodOptions (type)',
    'MastodonPods (type)',
    'MastodonRedisProps (type)',
    'MastodonSettings (type)',
    'MastodonStreaming (value)',
    'MastodonStreamingProps (type)',
    'MastodonWeb (value)',
    'MastodonWebProps (type)',
    'MastodonWorkloadDefaults (type)',
    'MediaCleanup (value)',
    'MediaCleanupProps (type)',
    'MediaConfig (type)',
    'MediaInput (type)',
    'MigrationStep (type)',
    'Migrations (value)',
    'MigrationsProps (type)',
    'Monitoring (value)',
    'MonitoringConfig (type)',
    'MonitoringProps (type)',
    'NetworkConfig (type)',
    'NetworkPolicies (value)',
    'NetworkPoliciesProps (type)',
    'NodeConfig (type)',
    'NodeTuningChart (value)',
    'NodeTuningChartProps (type)',
    'OpenSearch (value)',
    'OpenSearchProps (type)',
    'Pending (type)',
    'PlacementProps (type)',
    'PlanNode (type)',
    'PlanOptions (type)',
    'PlanPlacement (type)',
    'PlanReport (type)',
    'PodDemand (type)',
    'PostgresBackupProps (type)',
    'PostgresBootstrap (type)',
    'PostgresCluster (value)',
    'PostgresClusterProps (type)',
    'PostgresObjectStoreProps (type)',
    'PostgresPoolerProps (type)',
    'PostgresStorage (type)',
    'PostgresVolumeSnapshotProps (type)',
    'PriorityClasses (value)',
    'PriorityClassesProps (type)',
    'PriorityTier (type)',
    'RailsContainerOptions (type)',
    'Redis (value)',
    'RedisConfig (type)',
    'RedisEndpoint (type)',
    'RedisProps (type)',
    'RemotelyManagedTunnel (type)',
    'ResolveResult (type)',
    'ResolvedConfig (type)',
    'ResolvedImages (type)',
    'ResolvedMonitoring (type)',
    'ResolvedPostgres (type)',
    'ResolvedSidekiqProcess (type)',
    'ResolvedTunnel (type)',
    'ResourcesConfig (type)',
    'RestartsConfig (type)',
    'RolloutRoom (type)',
    'S3Config (type)',
    'ScalableGroup (type)',
    'ScheduledRestarts (value)',
    'ScheduledRestartsProps (type)',
    'SearchDeploy (value)',
    'SearchDeployProps (type)',
    'SearchEndpoint (type)',
    'SecretKeyRef (type)',
    'SelectorExpression (type)',
    'SidekiqProcessInput (type)',
    'SidekiqProcessParsed (type)',
    'SidekiqProcessSettings (type)',
    'SidekiqQueue (value)',
    'SidekiqQueueProps (type)',
    'SidekiqQueueScaling (type)',
    'SidekiqScaling (value)',
    'SidekiqScalingConfig (type)',
    'SidekiqScalingProps (type)',
    'SmtpConfig (type)',
    'SmtpInput (type)',
    'SourcedRule (type)',
    'StreamingConfig (type)',
    'StreamingSettings (type)',
    'SynthesisOptions (type)',
    'SynthesisResult (type)',
    'TranslationInput (type)',
    'TunnelConfig (type)',
    'UpdateStrategy (type)',
    'WalRetention (type)',
    'WebConfig (type)',
    'WebMetrics (value)',
    'WebMetricsProps (type)',
    'WebSettings (type)',
    'checkBudget (value)',
    'configJsonSchema (value)',
    'connectionBudget (value)',
    'externalConnection (value)',
    'formatErrors (value)',
    'formatPlan (value)',
    'loadConfigFile (value)',
    'loadConfigText (value)',
    'nodesFromInventory (value)',
    'plan (value)',
    'planConfig (value)',
    'resolveConfig (value)',
    'resolveConfigOrThrow (value)',
    'synthesizeApp (value)',
  ]);
});

test('the values the checker lists are the values the compiled module exports at run time', () => {
  const values = names.filter((n) => n.endsWith(' (value)')).map((n) => n.replace(' (value)', ''));
  expect(Object.keys(api).sort()).toEqual(values);
});
