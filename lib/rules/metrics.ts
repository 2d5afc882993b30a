/**
 * Where each component serves Prometheus metrics, and the environment that turns Mastodon's
 * metrics on. Pure: no cdk8s imports. Every port and variable here was read in the upstream
 * source that consumes or serves it:
 *
 * - CloudNativePG (cloudnative-pg/cloudnative-pg, pkg/management/url/url.go): instances serve
 *   `PostgresMetricsPort = 9187`, the PgBouncer pooler `PgBouncerMetricsPort = 9127`; both ports
 *   are named `metrics` on the pods (pkg/specs/pods.go, pkg/specs/pgbouncer/deployments.go), and
 *   the operator's own PodMonitors select `cnpg.io/cluster` + `cnpg.io/podRole: instance` and
 *   `cnpg.io/poolerName` (pkg/specs/podmonitor.go, pkg/specs/pgbouncer/podmonitor.go).
 * - Mastodon 4.4+ (mastodon/documentation content/en/admin/config.md, "Prometheus Metrics";
 *   mastodon/mastodon config/puma.rb, config/initializers/sidekiq.rb,
 *   lib/mastodon/prometheus_exporter/local_server.rb): `MASTODON_PROMETHEUS_EXPORTER_ENABLED=true`
 *   instruments web and Sidekiq; `MASTODON_PROMETHEUS_EXPORTER_LOCAL=true` starts an in-process
 *   server bound to `MASTODON_PROMETHEUS_EXPORTER_HOST:PORT` (default localhost:9394) — which
 *   Puma's several worker processes cannot share, so web sends to an external `prometheus_exporter`
 *   server instead, at `PROMETHEUS_EXPORTER_HOST:PORT` (discourse/prometheus_exporter
 *   lib/prometheus_exporter/client.rb, default localhost:9394). The per-queue Sidekiq metrics
 *   (sidekiq_queue_latency_seconds, sidekiq_queue_backlog) are only started with
 *   `MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS=true`.
 * - The streaming server always serves `/metrics` on its own port (config.md, same section).
 * - cloudflared serves metrics on the `--metrics` address (2000 here).
 * - redis_exporter (oliver006/redis_exporter v1.88.0 main.go): listens on `:9121`, reads
 *   `REDIS_ADDR` and `REDIS_PASSWORD`, answers `/health`.
 */

/** The prometheus_exporter port (PrometheusExporter::DEFAULT_PORT) for web's exporter and Sidekiq's in-process server. */
export const RUBY_METRICS_PORT = 9394;
/** CloudNativePG instance metrics. */
export const POSTGRES_METRICS_PORT = 9187;
/** CloudNativePG PgBouncer metrics. */
export const PGBOUNCER_METRICS_PORT = 9127;
/** redis_exporter's default listen port. */
export const REDIS_EXPORTER_PORT = 9121;
/** The container port name every metrics endpoint here uses (CloudNativePG uses it too). */
export const METRICS_PORT_NAME = 'metrics';

/**
 * Puma: instrumentation on, metrics sent to the prometheus_exporter server at `host` (the
 * web-metrics Service). discourse/prometheus_exporter lib/prometheus_exporter/client.rb reads
 * PROMETHEUS_EXPORTER_HOST and _PORT as the default client's target; Mastodon's config/puma.rb
 * starts the Process, ActiveRecord and Puma instrumentations with that default client.
 */
export function webMetricsEnv(host: string): Record<string, string> {
  return {
    MASTODON_PROMETHEUS_EXPORTER_ENABLED: 'true',
    PROMETHEUS_EXPORTER_HOST: host,
    PROMETHEUS_EXPORTER_PORT: String(RUBY_METRICS_PORT),
  };
}

/** Sidekiq: instrumentation on, served in-process on every interface, per-queue metrics on. */
export function sidekiqMetricsEnv(): Record<string, string> {
  return {
    MASTODON_PROMETHEUS_EXPORTER_ENABLED: 'true',
    MASTODON_PROMETHEUS_EXPORTER_LOCAL: 'true',
    MASTODON_PROMETHEUS_EXPORTER_HOST: '0.0.0.0',
    MASTODON_PROMETHEUS_EXPORTER_PORT: String(RUBY_METRICS_PORT),
    MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS: 'true',
  };
}

/**
 * The external prometheus_exporter server Puma's workers send to: the gem's executable
 * (exe/prometheus_exporter: `--bind`, `--port`), run from the Mastodon image's bundle. It adds
 * the gem's default `ruby_` prefix to what it serves (lib/prometheus_exporter/server/runner.rb),
 * so web's Puma metrics arrive as `ruby_puma_*` (lib/prometheus_exporter/server/puma_collector.rb).
 */
export function webExporterArgs(): string[] {
  return ['bundle', 'exec', 'prometheus_exporter', '--bind', '0.0.0.0', '--port', String(RUBY_METRICS_PORT)];
}
