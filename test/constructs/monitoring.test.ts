/**
 * Monitoring alone in a blank cdk8s Chart: the PodMonitors and the alert rules. The alert tests
 * use the example's config (its CloudNativePG database, tunnel, Sidekiq queues), the rest the
 * smallest one. Whether every PodMonitor finds a port on the pods of the whole chart, and the
 * exporters in those pods: test/monitoring.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Monitoring } from '../../lib/monitoring';
import { resolveConfig } from '../../lib';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { alertGroups } from '../../lib/rules/alerts';
import { K3S_EVICTION_HARD } from '../../lib/rules/k3s';
import { exampleRaw, find, resolved, ROOT, withChange } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { tinyConfig } from './tiny-config';

const monitoringOn = (extra: Record<string, unknown> = {}) =>
  withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true, ruleLabels: { release: 'kube-prometheus-stack' }, ...extra }; });
/** The objects of Monitoring alone, built from raw config. */
function monitoringObjects(raw: unknown): any[] {
  const chart = Testing.chart();
  new Monitoring(chart, 'monitoring', { config: resolved(raw) });
  return Testing.synth(chart);
}
const on = monitoringObjects(monitoringOn());

describe('alone, from the smallest config (external database and Redis, no tunnel)', () => {
  const chart = Testing.chart();
  const monitoring = new Monitoring(chart, 'monitoring', { config: resolveConfigOrThrow(tinyConfig((c) => { c.monitoring = { enabled: true }; })) });
  const objects = Testing.synth(chart);

  test('two PodMonitors (Mastodon\'s exporters, streaming) and one PrometheusRule, <instance>-<short>', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['PodMonitor/tiny-mastodon', 'PodMonitor/tiny-streaming', 'PrometheusRule/tiny-alerts']);
    expect(Object.keys(monitoring.podMonitors).sort()).toEqual(['mastodon', 'streaming']);
    expect(monitoring.rules.name).toBe('tiny-alerts');
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s and the Prometheus Operator CRDs', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('each PodMonitor selects this instance\'s components by label and scrapes a named port every scrapeInterval', () => {
    const mastodon = find(objects, 'PodMonitor', 'tiny-mastodon');
    expect(mastodon.spec.selector).toEqual({
      matchLabels: { 'app.kubernetes.io/instance': 'tiny' },
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['web-metrics', 'sidekiq'] }],
    });
    expect(mastodon.spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    expect(find(objects, 'PodMonitor', 'tiny-streaming').spec.podMetricsEndpoints).toEqual([{ port: 'streaming', path: '/metrics', interval: '30s' }]);
  });

  test('without rule labels the objects carry only the standard ones', () => {
    for (const o of objects) expect(o.metadata.labels).not.toHaveProperty('release');
  });
});

describe('what the config changes', () => {
  test('internal Redis, a tunnel and CloudNativePG each add their PodMonitors; the database\'s select what the operator labels', () => {
    const objects = on.filter((o) => o.kind === 'PodMonitor');
    expect(objects.map((o) => o.metadata.name).sort()).toEqual(['ocw-db', 'ocw-db-pooler', 'ocw-mastodon', 'ocw-redis', 'ocw-streaming', 'ocw-tunnel']);
    expect(find(on, 'PodMonitor', 'ocw-db').spec.selector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'ocw-db', 'cnpg.io/podRole': 'instance' } });
    expect(find(on, 'PodMonitor', 'ocw-db-pooler').spec.selector).toEqual({ matchLabels: { 'cnpg.io/poolerName': 'ocw-db-pooler' } });
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(on)).toEqual([]);
  });

  test('monitorLabels go on the PodMonitors, ruleLabels on the PrometheusRule; scrapeInterval on every endpoint', () => {
    const objects = monitoringObjects(monitoringOn({ monitorLabels: { team: 'ops' }, scrapeInterval: '1m' }));
    for (const pm of objects.filter((o) => o.kind === 'PodMonitor')) {
      expect(pm.metadata.labels).toMatchObject({ team: 'ops' });
      expect(pm.metadata.labels).not.toHaveProperty('release');
      expect(pm.spec.podMetricsEndpoints[0].interval).toBe('1m');
    }
    expect(find(objects, 'PrometheusRule', 'ocw-alerts').metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  test('refused without monitoring.enabled, with the fix', () => {
    expect(() => new Monitoring(Testing.chart(), 'monitoring', { config: resolveConfigOrThrow(tinyConfig()) }))
      .toThrow('Monitoring needs config.resolvedMonitoring: set monitoring.enabled: true');
  });
});

describe('the alert rules, from the example\'s config with monitoring on', () => {
  const rule = find(on, 'PrometheusRule', 'ocw-alerts');
  const rules = rule.spec.groups.flatMap((g: any) => g.rules);

  test('the lost-slot alerts read the query\'s metrics on the instances', () => {
    expect(rules.find((r: any) => r.alert === 'PostgresReplicationSlotLost').expr).toMatch(/^max by \(namespace, pod, slot_name\) \(cnpg_mastodon_replication_slots_lost\{namespace="mastodon", pod=~"ocw-db-\[0-9\]\+"\}\) == 1$/);
    expect(rules.find((r: any) => r.alert === 'PostgresReplicationSlotUnreserved').expr).toMatch(/cnpg_mastodon_replication_slots_unreserved\{/);
  });

  test('the PrometheusRule carries the rule labels Prometheus selects on', () => {
    expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
    expect(find(on, 'PodMonitor', 'ocw-db').metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  test('every rule has a severity, a for:, and a runbook line with a link to the README section', () => {
    for (const r of rules) {
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.for).toMatch(/^[0-9]+[mh]$/);
      expect(r.annotations.runbook.length).toBeGreaterThan(30);
      expect(r.annotations.runbook_url).toBe('https://www.npmjs.com/package/cdk8s-mastodon#monitoring-and-alerts');
    }
  });

  test('the issue\'s list of symptoms is covered', () => {
    const names = new Set(rules.map((r: any) => r.alert));
    for (const a of ['MastodonWebDegraded', 'MastodonWebDown', 'MastodonStreamingDegraded', 'MastodonStreamingDown', 'CloudflareTunnelDown',
      'PostgresWalArchivingFailing', 'PostgresBaseBackupTooOld', 'PostgresSnapshotBackupTooOld', 'MastodonVolumeFillingUp',
      'PostgresReplicationSlotHoldingWal', 'PostgresReplicaLagging', 'PostgresCorruptionCheckFailed', 'PostgresNoPrimary',
      'SidekiqQueueBacklogged', 'SidekiqProcessGroupDown', 'SidekiqSchedulerNotRunning',
      'MastodonContainerOOMKilled', 'MastodonContainerRestarting', 'MastodonContainerNearMemoryLimit',
      'MastodonNodeNotReady', 'NodeTcpRetransmissionsHigh', 'MastodonWebMetricsDown', 'PostgresReplicationSlotLost', 'PgBouncerDown', 'PgBouncerAllDown']) {
      expect(names).toContain(a);
    }
  });

  test('one backlog rule per queue, naming the process groups that serve it', () => {
    const backlog = rules.filter((r: any) => r.alert === 'SidekiqQueueBacklogged');
    expect(backlog.map((r: any) => r.labels.queue).sort()).toEqual(['default', 'fasp', 'ingress', 'mailers', 'pull', 'push', 'scheduler']);
    const push = backlog.find((r: any) => r.labels.queue === 'push');
    expect(push.annotations.description).toMatch(/Served by: default, push \(first\), pull/);
  });

  test('a slot is reported at three quarters of max_slot_wal_keep_size (3072MB for the 5Gi WAL volume), before Postgres drops it', () => {
    const slot = rules.find((r: any) => r.alert === 'PostgresReplicationSlotHoldingWal');
    expect(slot.expr).toMatch(new RegExp(`> ${0.75 * 3072 * 2 ** 20}$`));
    const explicit = find(monitoringObjects(withChange(monitoringOn(), (c) => { c.database.parameters = { max_slot_wal_keep_size: '2GB' }; })), 'PrometheusRule', 'ocw-alerts')
      .spec.groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === 'PostgresReplicationSlotHoldingWal');
    expect(explicit.expr).toMatch(new RegExp(`> ${0.75 * 2048 * 2 ** 20}$`));
  });

  test('a corruption check that stops succeeding is reported after its schedule\'s longest gap plus grace (weekly: 210 h; daily: 30 h)', () => {
    const notRun = (schedule?: string) => find(monitoringObjects(withChange(monitoringOn(), (c) => { if (schedule) c.database.amcheck = { schedule }; })), 'PrometheusRule', 'ocw-alerts')
      .spec.groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === 'PostgresCorruptionCheckNotRun');
    expect(notRun().expr).toMatch(/cronjob="ocw-db-amcheck".*\) > 756000$/);
    expect(notRun('0 5 * * *').expr).toMatch(/ > 108000$/);
    expect(notRun().labels.severity).toBe('warning');
  });

  test('a lost replication slot warns, never pages: it is no outage, and with Postgres 16-17 it stays lost while its standby streams until someone drops it', () => {
    // A standby without its slot replays from the archive, up to archive_timeout (5 min) behind:
    // the exposure PostgresReplicaLagging (a warning) reports; CloudNativePG's failover prefers
    // the standby with the highest received LSN (pkg/postgres/status.go), a streaming one.
    const sev = (a: string) => rules.find((r: any) => r.alert === a).labels.severity;
    expect(sev('PostgresReplicationSlotLost')).toBe(sev('PostgresReplicaLagging'));
    expect(sev('PostgresReplicationSlotLost')).toBe('warning');
  });

  test('the node filesystem page comes before k3s\' kubelet evicts, and names the threshold k3s sets (5%, not upstream\'s 10%)', () => {
    const almost = rules.find((r: any) => r.alert === 'MastodonNodeFilesystemAlmostFull');
    const threshold = Number(/\) < ([0-9.]+) and predict_linear/.exec(almost.expr)![1]);
    expect(threshold).toBeGreaterThan(K3S_EVICTION_HARD.nodefsAvailable);
    expect(almost.annotations.description).toContain(`below ${K3S_EVICTION_HARD.nodefsAvailable * 100}% free`);
    expect(almost.annotations.description).not.toMatch(/10%/);
  });

  test('a lost slot is dropped on the pod that reports it: a standby\'s invalidated copy is never replaced by CloudNativePG', () => {
    // internal/management/controller/slots/runner/runner.go synchronizeReplicationSlots: a standby
    // skips a primary HA slot without restart_lsn (an invalidated one), deletes a copy only when
    // the primary has no such slot, and otherwise advances it, which Postgres refuses for an
    // invalidated slot. The query runs on every instance, so the alert names the pod.
    const action = rules.find((r: any) => r.alert === 'PostgresReplicationSlotLost').annotations.runbook;
    expect(action).toContain('kubectl exec -n mastodon {{ $labels.pod }} -c postgres -- psql -c "SELECT pg_drop_replication_slot(\'{{ $labels.slot_name }}\')"');
  });

  test('a node going away warns, never pages', () => {
    for (const r of rules.filter((x: any) => x.alert === 'MastodonNodeNotReady')) expect(r.labels.severity).toBe('warning');
  });

  test('without CloudNativePG, a tunnel or internal Redis, their rules are left out', () => {
    const raw = withChange(exampleRaw(), (c) => {
      c.monitoring = { enabled: true };
      delete c.tunnel;
      c.redis = { mode: 'external', host: 'redis.example.internal' };
      c.database = { mode: 'external', host: 'db.example.internal', passwordSecret: { name: 'db', key: 'password' } };
    });
    const r = resolveConfig(raw);
    if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
    const names = alertGroups(r.config).flatMap((g) => g.rules.map((x) => x.alert));
    expect(names.filter((n) => /^(Postgres|PgBouncer|Redis|Cloudflare)/.test(n))).toEqual([]);
    expect(monitoringObjects(raw).filter((o) => o.kind === 'PodMonitor').map((o) => o.metadata.name)).toEqual(['ocw-mastodon', 'ocw-streaming']);
  });

  test('the monitoring guide\'s table lists every alert, and the README keeps the heading runbook_url points at', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('\n## Monitoring and alerts\n');
    const section = fs.readFileSync(path.join(ROOT, 'docs', 'monitoring.md'), 'utf8');
    expect(section.length).toBeGreaterThan(100);
    for (const name of new Set<string>(rules.map((r: any) => r.alert))) expect(section).toContain(`| \`${name}\``);
  });
});
