import { Construct } from 'constructs';
import { PodMonitor, PodMonitorSpecSelector } from '../imports/prometheus-podmonitor-monitoring.coreos.com';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/prometheus-rule-monitoring.coreos.com';
import { Identity } from './conventions/labels';
import { resourceName } from './rules/names';
import { objectMeta } from './conventions/workload';
import { alertGroups, prometheusRuleGroups } from './rules/alerts';
import { cnpgNames } from './rules/database';
import { METRICS_PORT_NAME } from './rules/metrics';
import type { ResolvedConfig, ResolvedMonitoring } from './model';

/** Props for {@link Monitoring}. */
export interface MonitoringProps {
  /** The resolved configuration; `config.resolvedMonitoring` must be set (monitoring.enabled). */
  readonly config: ResolvedConfig;
}

/**
 * What the Prometheus Operator needs to watch this server: one PodMonitor per kind of metrics
 * endpoint and one PrometheusRule with the alerts (see lib/rules/alerts.ts and the README's
 * "Monitoring and alerts"). PodMonitors rather than ServiceMonitors: every endpoint is per pod
 * (each Sidekiq pod has its own exporter), and no Service has to exist for them.
 * CloudNativePG 1.30 deprecates its `enablePodMonitor`, so the chart writes the database's
 * PodMonitors itself, with the selectors the operator's own used (pkg/specs/podmonitor.go).
 */
export class Monitoring extends Construct {
  /** The PodMonitors, by short name. */
  public readonly podMonitors: Readonly<Record<string, PodMonitor>>;
  /** The alert rules. */
  public readonly rules: PrometheusRule;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const c = props.config;
    const m: ResolvedMonitoring | undefined = c.resolvedMonitoring;
    if (!m) throw new Error('Monitoring needs config.resolvedMonitoring: set monitoring.enabled: true');
    const inst = c.name;
    const identity: Identity = { instance: inst, component: 'monitoring', version: c.images.mastodon.tag };
    const meta = (name: string, labels: Readonly<Record<string, string>>) => {
      const base = objectMeta(name, identity, 'config');
      return { ...base, labels: { ...base.labels, ...labels } };
    };
    const ofComponents = (...components: string[]): PodMonitorSpecSelector => ({
      matchLabels: { 'app.kubernetes.io/instance': inst },
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: components }],
    });
    const monitors: Record<string, PodMonitor> = {};
    const monitor = (short: string, selector: PodMonitorSpecSelector, port: string, path = '/metrics') => {
      monitors[short] = new PodMonitor(this, `PodMonitor-${short}`, {
        metadata: meta(resourceName(inst, short), m.monitorLabels),
        spec: {
          selector,
          podMetricsEndpoints: [{ port, path, interval: m.scrapeInterval }],
        },
      });
    };

    // Web's exporter (its own pods, lib/web-metrics.ts) and Sidekiq's in-process exporter share
    // the port name. Per pod, not through the web-metrics Service: a scrape names the pod.
    monitor('mastodon', ofComponents('web-metrics', 'sidekiq'), METRICS_PORT_NAME);
    monitor('streaming', ofComponents('streaming'), 'streaming');
    // redis_exporter runs in its own Deployment (lib/redis.ts); the PodMonitor keeps its name.
    if (c.redis.mode === 'internal') monitor('redis', ofComponents('redis-metrics'), METRICS_PORT_NAME);
    if (c.tunnel) monitor('tunnel', ofComponents('tunnel'), METRICS_PORT_NAME);
    if (c.database.mode === 'cnpg') {
      const n = cnpgNames(inst);
      monitor('db', { matchLabels: { 'cnpg.io/cluster': n.cluster, 'cnpg.io/podRole': 'instance' } }, METRICS_PORT_NAME);
      monitor('db-pooler', { matchLabels: { 'cnpg.io/poolerName': n.pooler } }, METRICS_PORT_NAME);
    }
    this.podMonitors = monitors;

    const groups = prometheusRuleGroups(alertGroups(c), c.monitoring.runbookUrl);
    this.rules = new PrometheusRule(this, 'Rules', {
      metadata: meta(resourceName(inst, 'alerts'), m.ruleLabels),
      spec: {
        groups: groups.map((g) => ({
          name: g.name,
          rules: g.rules.map((r) => ({
            alert: r.alert,
            expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
            for: r.for,
            labels: { ...r.labels },
            annotations: { ...r.annotations },
          })),
        })),
      },
    });
  }
}
