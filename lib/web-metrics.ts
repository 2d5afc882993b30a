import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { selectorLabels } from './conventions/labels';
import { webMetricsName } from './rules/names';
import { clusterService, deploymentWithBudget } from './conventions/workload';
import { MastodonEnvironment } from './mastodon-environment';
import { webExporterContainer } from './conventions/metrics-sidecars';
import { METRICS_PORT_NAME, RUBY_METRICS_PORT } from './rules/metrics';
import type { ResourcesConfig, WebSettings } from './model';

/** Props for {@link WebMetrics}. */
export interface WebMetricsProps {
  /** The shared Mastodon environment (config, priority classes, pod conventions). */
  readonly environment: MastodonEnvironment;
  /** The `web:` section: the exporter runs where web runs. @default the environment's `settings.web` */
  readonly web?: WebSettings;
  /** Requests and limits of the exporter. @default the environment's `settings.monitoring.webExporter.resources` */
  readonly resources?: ResourcesConfig;
}

/**
 * The prometheus_exporter server Puma's processes send their metrics to, in its own Deployment
 * (`<instance>-web-metrics`, one replica) behind a ClusterIP Service, so that an exporter that
 * crashloops, is OOM-killed or cannot pull its image never makes a web pod NotReady: it was a
 * sidecar once, and a failing sidecar took web out of its Service.
 *
 * What web does while this is down, read in discourse/prometheus_exporter
 * lib/prometheus_exporter/client.rb (fetched 2026-11-27, ddf5c9b): `send` only pushes onto an
 * in-memory Queue and makes sure a background thread runs; that thread connects
 * (`TCPSocket.new host, port, connect_timeout:` — nil by default, so an unanswered SYN waits for
 * the kernel's timeout, in that thread only), writes chunked `POST /send-metrics`, and on any
 * error logs `Prometheus Exporter, failed to send message …` (logger level WARN, to STDERR),
 * sleeps 0.5 s and tries again. The queue holds at most `MAX_QUEUE_SIZE = 10_000` messages;
 * past that the oldest is dropped with a warning. So a request never waits on the exporter:
 * metrics are lost and each Puma process logs about two lines a second until it is back
 * (test/integration/web-metrics.itest.ts checks the socket behaviour this relies on).
 *
 * One replica, not two: each Puma process keeps one connection for up to 25 s
 * (`MAX_SOCKET_AGE`), and behind a Service with two exporters the same gauges would land on
 * both. The Recreate-free rolling update (surge 1) keeps one serving during a rollout.
 */
export class WebMetrics extends Construct {
  /** The port Puma sends to and Prometheus scrapes. */
  public static readonly PORT = RUBY_METRICS_PORT;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service web's PROMETHEUS_EXPORTER_HOST names. */
  public readonly service: k8s.KubeService;
  /**
   * The host name web sends to: the bare Service name, which the pod's DNS search path resolves
   * in its own namespace, so a Helm install into another namespace (`helm install -n X`, which
   * rewrites only `namespace` fields) still finds it.
   */
  public readonly host: string;

  constructor(scope: Construct, id: string, props: WebMetricsProps) {
    super(scope, id);
    const env = props.environment.pods;
    const c = env.settings;
    const web = props.web ?? c.web;
    const identity = env.identity('web-metrics');
    const name = webMetricsName(c.name);
    const result = deploymentWithBudget(this, {
      name,
      identity,
      replicas: 1,
      strategy: 'surge',
      podSpec: env.podSpec({
        containers: [webExporterContainer(c.images.mastodon, props.resources ?? c.monitoring.webExporter.resources)],
        // Lowest tier: an exporter never preempts web, the database or Redis for room.
        priority: 'workers',
        placement: {
          pool: web.pool,
          architectures: c.images.mastodon.architectures,
          spread: { mode: 'soft', selector: selectorLabels(identity), rollingUpdate: true },
          failoverSeconds: c.network.failoverSeconds,
        },
      }),
    });
    this.deployment = result.deployment;
    this.service = clusterService(this, name, identity, WebMetrics.PORT, METRICS_PORT_NAME);
    this.host = name;
  }
}
