import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { resourceName } from './rules/names';
import { httpProbe, RAILS_BOOT, tcpProbe } from './conventions/probes';
import { clusterService, containerResources } from './conventions/workload';
import { MastodonEnvironment } from './mastodon-environment';
import { WEB_PORT } from './rules/services';
import { webMetricsEnv } from './rules/metrics';
import { WebMetrics } from './web-metrics';
import { countProblems, memoryProblems, propsError, WEB_BOUNDS, WEB_FLOOR } from './rules/mastodon-checks';
import type { ResourcesConfig, WebSettings } from './model';

/**
 * Props for {@link MastodonWeb}. Each setting left out is the environment's `settings.web` value,
 * whose own defaults are the config's (lib/model/defaults.ts).
 */
export interface MastodonWebProps {
  /** The shared Mastodon environment (env ConfigMap, Secrets, images, pod conventions). */
  readonly environment: MastodonEnvironment;
  /** Puma pods, spread over nodes. @default `web.replicas` (2) */
  readonly replicas?: number;
  /** Puma worker processes per pod (WEB_CONCURRENCY). @default `web.processes` (2) */
  readonly processes?: number;
  /** Puma threads per process (MAX_THREADS, and DB_POOL). @default `web.threads` (5) */
  readonly threads?: number;
  /** The node pool of the pods. @default `web.pool`: none alone, any node (a config's default is 'cloud') */
  readonly pool?: string;
  /** Requests and memory limit of each pod. @default `web.resources` (requests 250m / 900Mi, limit 1400Mi) */
  readonly resources?: ResourcesConfig;
}

/**
 * Mastodon's Rails web server (Puma) on port 3000: a Deployment spread over nodes, a rolling
 * update that never drops below the replica count, a PodDisruptionBudget and a Service.
 */
export class MastodonWeb extends Construct {
  /** The port Puma listens on. */
  public static readonly PORT = WEB_PORT;
  /** Seconds the pod keeps serving after it is removed from the Service's endpoints. */
  public static readonly DRAIN_SECONDS = 10;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service the tunnel sends traffic to. */
  public readonly service: k8s.KubeService;
  /** The Service's URL inside the namespace, e.g. for a tunnel ingress rule: `http://<instance>-web:3000`. */
  public readonly url: string;
  /** The settings the pods run with (props over the environment's `settings.web`). */
  public readonly settings: WebSettings;
  /** The PodDisruptionBudget (more than one replica only). */
  public readonly budget?: k8s.KubePodDisruptionBudget;
  /** The prometheus_exporter server Puma sends its metrics to (monitoring on only). */
  public readonly metrics?: WebMetrics;

  constructor(scope: Construct, id: string, props: MastodonWebProps) {
    super(scope, id);
    const env = props.environment.pods;
    const c = env.settings;
    const pool = props.pool ?? c.web.pool;
    const web: WebSettings = {
      replicas: props.replicas ?? c.web.replicas,
      ...(pool !== undefined ? { pool } : {}),
      processes: props.processes ?? c.web.processes,
      threads: props.threads ?? c.web.threads,
      resources: props.resources ?? c.web.resources,
    };
    const name = resourceName(c.name, 'web');
    // The config's refusals (lib/rules/mastodon-checks.ts), for props that never went through it.
    const problems = [
      ...countProblems('replicas', web.replicas, WEB_BOUNDS.replicas),
      ...countProblems('processes', web.processes, WEB_BOUNDS.processes),
      ...countProblems('threads', web.threads, WEB_BOUNDS.threads),
      ...memoryProblems('resources', web.resources, WEB_FLOOR),
    ];
    if (problems.length > 0) throw propsError(`MastodonWeb ${name}`, problems);
    this.settings = web;
    const identity = env.identity('web');
    // Puma runs several processes, so they send their metrics to one exporter: in its own pod,
    // so that an exporter that fails never takes web out of its Service.
    this.metrics = c.monitoring.enabled ? new WebMetrics(this, 'Metrics', { environment: props.environment, web }) : undefined;
    const container = env.railsContainer({
      name: 'web',
      args: ['bundle', 'exec', 'puma', '-C', 'config/puma.rb'],
      env: {
        WEB_CONCURRENCY: String(web.processes),
        MAX_THREADS: String(web.threads),
        DB_POOL: String(web.threads),
        BIND: '0.0.0.0',
        PORT: String(MastodonWeb.PORT),
        ...(this.metrics ? webMetricsEnv(this.metrics.host) : {}),
      },
      resources: containerResources(web.resources),
      ports: [{ name: 'http', containerPort: MastodonWeb.PORT, protocol: 'TCP' }],
      startupProbe: httpProbe('/health', MastodonWeb.PORT, { ...RAILS_BOOT }),
      readinessProbe: httpProbe('/health', MastodonWeb.PORT, { periodSeconds: 10, failureThreshold: 3 }),
      livenessProbe: tcpProbe(MastodonWeb.PORT),
      // The endpoint is removed while the pod sleeps; Puma then drains in-flight requests.
      lifecycle: { preStop: { exec: { command: ['sleep', String(MastodonWeb.DRAIN_SECONDS)] } } },
    });
    const result = env.deployment(this, {
      name,
      identity,
      replicas: web.replicas,
      strategy: 'surge',
      container,
      pool: web.pool,
      architectures: c.images.mastodon.architectures,
      spread: 'hard',
      priority: 'frontend',
      terminationGracePeriodSeconds: MastodonWeb.DRAIN_SECONDS + 30,
    });
    this.deployment = result.deployment;
    this.budget = result.budget;
    this.service = clusterService(this, name, identity, MastodonWeb.PORT, 'http');
    this.url = `http://${name}:${MastodonWeb.PORT}`;
  }
}
