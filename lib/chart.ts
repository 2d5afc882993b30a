import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { MastodonEnvironment } from './mastodon-environment';
import { MastodonStreaming } from './mastodon-streaming';
import { MastodonWeb } from './mastodon-web';
import { MediaCleanup } from './media-cleanup';
import { CloudflareTunnel } from './cloudflare-tunnel';
import { MaintenancePage } from './maintenance-page';
import { Monitoring } from './monitoring';
import { Migrations } from './migrations';
import { NetworkPolicies } from './network-policies';
import { priorityClassName } from './conventions/priority';
import { PriorityClasses } from './priority-classes';
import { PostgresCluster } from './postgres-cluster';
import { Redis } from './redis';
import { databaseConnection } from './rules/database';
import { redisEndpoint } from './rules/environment';
import { ScheduledRestarts } from './scheduled-restart';
import { SidekiqQueue } from './sidekiq-queue';
import { SidekiqScaling } from './sidekiq-scaling';
import { mediaMountNodes } from './rules/mastodon-checks';
import { OpenSearch } from './opensearch';
import { SearchDeploy } from './search-deploy';
import { searchEndpoint } from './rules/search';
import type { ResolvedConfig } from './model';

/** Props for {@link MastodonChart}. */
export interface MastodonChartProps extends Omit<ChartProps, 'namespace'> {
  /** The resolved configuration: use `resolveConfig` or `loadConfigFile` to get one. */
  readonly config: ResolvedConfig;
}

/**
 * A whole Mastodon server in one chart. Every object is named `<config.name>-<part>`, with no
 * hashes, so names stay stable when the code is refactored.
 */
export class MastodonChart extends Chart {
  public readonly environment: MastodonEnvironment;
  /** Default deny plus the allows each component needs. */
  public readonly networkPolicies: NetworkPolicies;
  /** The three PriorityClasses (cluster-scoped). */
  public readonly priorityClasses: PriorityClasses;
  /** The CloudNativePG cluster, when database.mode is cnpg. */
  public readonly postgres?: PostgresCluster;
  public readonly web: MastodonWeb;
  public readonly streaming: MastodonStreaming;
  /** One per Sidekiq process group, keyed by process name. */
  public readonly sidekiq: Readonly<Record<string, SidekiqQueue>>;
  /** The in-cluster Redis, unless an external one is configured. */
  public readonly redis?: Redis;
  /** Absent while maintenance.stopWorkloads is on: nothing may write to the database. */
  public readonly migrations?: Migrations;
  /** The Cloudflare Tunnel, when configured. */
  public readonly tunnel?: CloudflareTunnel;
  /** The maintenance page, while maintenance.enabled is on. */
  public readonly maintenance?: MaintenancePage;
  public readonly cleanup: MediaCleanup;
  /** PodMonitors and alert rules, while monitoring.enabled is on. */
  public readonly monitoring?: Monitoring;
  /** KEDA ScaledObjects for the scalable Sidekiq groups (empty without sidekiq.keda). */
  public readonly sidekiqScaling: SidekiqScaling;
  /** Scheduled rolling restarts (none unless restarts are configured). */
  public readonly restarts: ScheduledRestarts;
  /** The in-cluster OpenSearch, when search.mode is internal. */
  public readonly search?: OpenSearch;
  /** The tootctl search deploy Job, while search is on (absent while maintenance.stopWorkloads is on). */
  public readonly searchDeploy?: SearchDeploy;

  constructor(scope: Construct, id: string, props: MastodonChartProps) {
    const { config, ...chartProps } = props;
    super(scope, id, { ...chartProps, namespace: config.namespace, disableResourceNameHashes: true });
    this.networkPolicies = new NetworkPolicies(this, 'Network', { config });
    this.priorityClasses = new PriorityClasses(this, 'Priority', { instance: config.name, version: config.images.mastodon.tag });
    const priority = (tier: 'frontend' | 'data' | 'workers') => priorityClassName(config.name, tier);
    if (config.database.mode === 'cnpg' && config.postgres) {
      const db = config.database;
      this.postgres = new PostgresCluster(this, 'Postgres', {
        instance: config.name,
        namespace: config.namespace,
        instances: db.instances,
        pool: db.pool,
        poolLabel: config.nodes.poolLabel,
        arch: config.postgres.arch,
        antiAffinity: config.postgres.antiAffinity,
        image: config.postgres.image,
        storage: db.storage,
        walStorage: db.walStorage,
        resources: db.resources,
        parameters: db.parameters,
        connectionReserve: db.connectionReserve,
        // max_client_conn from the connection budget of the workloads below.
        pooler: { ...db.pooler, maxClientConn: config.postgres.budget.maxClientConn },
        bootstrap: db.bootstrap,
        backup: db.backup,
        amcheck: db.amcheck,
        kubectlImage: config.images.kubectl,
        failoverSeconds: config.network.failoverSeconds,
        priorityClassNames: { frontend: priority('frontend'), workers: priority('workers') },
        slotMetrics: config.resolvedMonitoring !== undefined,
      });
    }
    if (config.search.mode === 'internal') {
      const s = config.search;
      this.search = new OpenSearch(this, 'Search', {
        instance: config.name, pool: s.pool, poolLabel: config.nodes.poolLabel, storage: s.storage, resources: s.resources,
        // Workers, not data: search is optional, so it never preempts Mastodon's own pods.
        ...(s.prefix ? { prefix: s.prefix } : {}), priorityClassName: priority('workers'),
      });
    }
    const search = this.search?.endpoint ?? searchEndpoint(config);
    this.environment = new MastodonEnvironment(this, 'Environment', {
      instance: config.name,
      domain: config.domain,
      webDomain: config.webDomain,
      secretName: config.mastodon.secretName,
      singleUserMode: config.mastodon.singleUserMode,
      defaultLocale: config.mastodon.defaultLocale,
      extraEnv: config.mastodon.extraEnv,
      auth: config.auth,
      translation: config.translation,
      database: this.postgres?.connection ?? databaseConnection(config),
      redis: redisEndpoint(config),
      smtp: config.smtp,
      media: config.media,
      images: { mastodon: config.images.mastodon, streaming: config.images.streaming },
      trustedProxies: config.network.trustedProxies,
      ...(search ? { search } : {}),
      failoverSeconds: config.network.failoverSeconds,
      poolLabel: config.nodes.poolLabel,
      mediaNodes: mediaMountNodes(config.nodes.inventory, [config.web.pool, ...config.sidekiq.processes.flatMap((p) => [p.pool, p.fallbackPool])], config.images.mastodon.architectures),
      stopWorkloads: config.maintenance.stopWorkloads,
      monitoring: config.resolvedMonitoring !== undefined,
      workloadDefaults: {
        web: config.web,
        streaming: config.streaming,
        cleanup: config.cleanup,
        sidekiq: { catchUp: config.sidekiq.catchUp, ...(config.sidekiq.keda ? { keda: config.sidekiq.keda } : {}) },
        webExporterResources: config.monitoring.webExporter.resources,
      },
      priorityClasses: this.priorityClasses,
    });
    if (config.redis.mode === 'internal') {
      const r = config.redis;
      this.redis = new Redis(this, 'Redis', { instance: config.name, pool: r.pool, storage: r.storage, resources: r.resources, passwordSecret: r.passwordSecret,
        poolLabel: config.nodes.poolLabel, image: config.images.redis, priorityClassName: priority('data'),
        ...(config.resolvedMonitoring ? { metricsExporter: { image: config.images.redisExporter, resources: config.monitoring.redisExporter.resources, priorityClassName: priority('workers') } } : {}) });
    }
    this.web = new MastodonWeb(this, 'Web', { environment: this.environment });
    this.streaming = new MastodonStreaming(this, 'Streaming', { environment: this.environment });
    const sidekiq: Record<string, SidekiqQueue> = {};
    for (const p of config.sidekiq.processes) {
      sidekiq[p.name] = new SidekiqQueue(this, `Sidekiq-${p.name}`, { environment: this.environment, customQueues: config.sidekiq.customQueues, ...p });
    }
    this.sidekiq = sidekiq;
    this.sidekiqScaling = new SidekiqScaling(this, 'SidekiqScaling', { config });
    this.restarts = new ScheduledRestarts(this, 'Restarts', { config });
    if (!config.maintenance.stopWorkloads) {
      this.migrations = new Migrations(this, 'Migrations', { environment: this.environment });
    }
    if (config.search.mode !== 'off' && !config.maintenance.stopWorkloads) {
      this.searchDeploy = new SearchDeploy(this, 'SearchDeploy', { environment: this.environment, ...config.search.deploy });
    }
    this.cleanup = new MediaCleanup(this, 'Cleanup', { environment: this.environment });
    if (config.resolvedMonitoring) {
      this.monitoring = new Monitoring(this, 'Monitoring', { config });
    }
    if (config.tunnel && config.resolvedTunnel) {
      const t = config.tunnel;
      this.tunnel = new CloudflareTunnel(this, 'Tunnel', {
        instance: config.name,
        tunnel: t.mode === 'local'
          ? { mode: 'local', tunnelId: t.tunnelId, credentialsSecret: t.credentialsSecret, ingress: config.resolvedTunnel.rules ?? [] }
          : { mode: 'remote', tokenSecret: t.tokenSecret },
        replicas: t.replicas,
        pools: config.resolvedTunnel.pools,
        poolLabel: config.nodes.poolLabel,
        protocol: t.protocol,
        resources: t.resources,
        image: config.images.cloudflared,
        failoverSeconds: config.network.failoverSeconds,
        priorityClassName: priority('frontend'),
      });
      if (config.maintenance.enabled) {
        this.maintenance = new MaintenancePage(this, 'Maintenance', {
          instance: config.name,
          maintenance: config.maintenance,
          poolLabel: config.nodes.poolLabel,
          pools: config.resolvedTunnel.pools,
          image: config.images.maintenance,
          priorityClassName: priority('frontend'),
        });
      }
    }
  }
}
