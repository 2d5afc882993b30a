/**
 * Every alert is grounded in a metric an exporter really emits: each metric name (and each label
 * a matcher tests) in every rendered rule expression and in every promtool fixture series must be
 * in the metric catalog (lib/rules/metric-catalog.ts), so a fixture can no longer invent a series
 * that makes a rule pass. The names are read with Prometheus' own PromQL grammar, tested here on
 * tricky expressions first.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { exampleRaw, find, render, withChange } from './support/fixtures';
import { groupings, metricNames, selectors, seriesLabels } from './support/promql';
import { allowedLabels, catalogEntries, CatalogExporter, METRIC_CATALOG, TARGET_LABELS } from '../lib/rules/metric-catalog';

const FIXTURES = path.join(__dirname, 'integration', 'fixtures', 'alerts');

describe('the metric-name extractor', () => {
  test.each([
    ['a plain selector', 'redis_up', ['redis_up']],
    ['label matchers of every kind, values that look like PromQL', 'foo{a="1", b!="2", c=~"rate(bar[5m])|sum by (x)", d!~"up"}', ['foo']],
    ['aggregation with by () before and after the body', 'max by (namespace, pod) (up{pod=~"a-.+"}) == 0 or sum(x) without (instance)', ['up', 'x']],
    ['functions, keywords, durations, bool and set operators', 'absent(foo offset 5m) and on (job) rate(bar[1h30m:1m]) > bool 3 unless {__name__="baz", a="b"}', ['bar', 'baz', 'foo']],
    ['vector matching with group_left and ignoring', 'a * ignoring (pod) group_left (node) b / on (namespace, pod, container) c', ['a', 'b', 'c']],
    ['time() and vector() are functions, not metrics', 'time() - max(t) > 3600 or vector(1) > 2', ['t']],
    ['predict_linear with a range and a number', 'predict_linear(node_filesystem_avail_bytes{fstype=~"ext4|xfs"}[6h], 345600) < 0', ['node_filesystem_avail_bytes']],
    ['string and number parameters', 'topk(3, x) + count_values("value", y) + quantile_over_time(0.9, z[5m])', ['x', 'y', 'z']],
    ['metric names that contain keywords', 'sum_total + offset_bytes + max_over_time_seconds + bool_flag + on_off', ['bool_flag', 'max_over_time_seconds', 'offset_bytes', 'on_off', 'sum_total']],
    ['@ modifiers and a comment', '# the newest\nx @ 100 + y @ start()', ['x', 'y']],
    ['a UTF-8 metric name in quotes', '{"my.metric", "some.label"="v"}', ['my.metric']],
    ['the same metric twice counts once', 'a / a', ['a']],
  ])('%s', (_what, expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });

  test('matcher label names, without __name__, in order', () => {
    expect(selectors('{__name__="m", a="1", b!="2"} + n{"c.d"=~"3"}').map((s) => [s.name, s.labels])).toEqual([['m', ['a', 'b']], ['n', ['c.d']]]);
  });

  test('a selector whose metric name is not fixed, or a syntax error, is refused, not skipped', () => {
    expect(() => metricNames('{__name__=~"cnpg_.+"}')).toThrow(/cannot be checked/);
    expect(() => metricNames('{namespace="x"}')).toThrow(/names no metric/);
    expect(() => metricNames('sum(rate(foo[5m]')).toThrow(/not valid PromQL/);
  });

  test('by, on and group_left clauses, with the selectors each label must be found on', () => {
    const g = groupings('max by (namespace, pod) (a{x="1"}) / on (namespace) group_left (node) sum without (uid) (b) > bool 1 or sum(c) by (d)');
    expect(g.map((x) => [x.labels, x.sides.map((side) => side.map((s) => s.name))])).toEqual([
      [['namespace'], [['a'], ['b']]],
      [['node'], [['a', 'b']]],
      [['namespace', 'pod'], [['a']]],
      [['d'], [['c']]],
    ]);
    // without and ignoring name labels to drop: nothing to check.
    expect(groupings('sum without (pod) (a) + ignoring (job) b')).toEqual([]);
  });

  test('a promtool series: its name and label names', () => {
    expect(seriesLabels('kube_job_status_failed{namespace="mastodon", job_name="x", reason="BackoffLimitExceeded"}')).toMatchObject({ name: 'kube_job_status_failed', labels: ['namespace', 'job_name', 'reason'] });
    expect(() => seriesLabels('a + b')).toThrow(/not one series/);
  });
});

/** Each problem of a list of expressions against the catalog, as one line. */
function offences(uses: readonly { where: string; expr: string; series?: boolean }[], catalog: readonly CatalogExporter[] = METRIC_CATALOG): string[] {
  return uses.flatMap(({ where, expr, series }) => [
    ...(series ? [seriesLabels(expr)] : selectors(expr)).flatMap((s) => {
      if (catalogEntries(s.name, catalog).length === 0) return [`${where}: ${s.name} is in no exporter of the metric catalog`];
      const allowed = allowedLabels(s.name, catalog);
      return s.labels.filter((l) => !allowed.has(l)).map((l) => `${where}: ${s.name} has no label ${l} (it has ${[...allowed].sort().join(', ')})`);
    }),
    // A by/on label that no series of a side carries groups everything into one or matches nothing.
    ...(series ? [] : groupings(expr)).flatMap((g) => g.sides.filter((side) => side.length > 0).flatMap((side) => g.labels
      .filter((l) => !side.some((s) => allowedLabels(s.name, catalog).has(l)))
      .map((l) => `${where}: ${g.clause}: no series of ${side.map((s) => s.name).join(', ')} has label ${l}`))),
  ]);
}

const ruleGroups = (): { name: string; rules: { alert: string; expr: string }[] }[] => {
  const raw = withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true, ruleLabels: { release: 'kube-prometheus-stack' } }; });
  return find(render(raw), 'PrometheusRule', 'ocw-alerts').spec.groups;
};

const fixtureSeries = (): { where: string; expr: string; series: true }[] => fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) => {
  const doc = parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'));
  return (doc.tests as any[]).flatMap((t) => (t.input_series ?? []).map((s: { series: string }) => ({ where: `${f} '${t.name}'`, expr: s.series, series: true as const })));
});

describe('every rule and every fixture uses only catalogued metrics', () => {
  test('every rendered rule expression', () => {
    const rules = ruleGroups().flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(25);
    expect(offences(rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })))).toEqual([]);
  });

  test('every promtool fixture series (a fixture cannot invent a series)', () => {
    const series = fixtureSeries();
    expect(series.length).toBeGreaterThan(50);
    expect(offences(series)).toEqual([]);
  });

  test('the check fails on a metric no exporter emits, and on a label the metric does not have', () => {
    expect(offences([
      { where: 'rule PgBouncerDown', expr: 'cnpg_pgbouncer_up{namespace="mastodon"} == 0' },
      { where: 'fixture', expr: 'redis_up{namespace="mastodon", pod="ocw-redis-0", role="master"}', series: true },
      { where: 'rule X', expr: 'max by (namespace, slot) (cnpg_mastodon_replication_slots_lost) == 1' },
      { where: 'rule Y', expr: 'redis_up and on (namespace, queue) sidekiq_queue_backlog' },
    ])).toEqual([
      'rule PgBouncerDown: cnpg_pgbouncer_up is in no exporter of the metric catalog',
      'fixture: redis_up has no label role (it has container, endpoint, instance, job, namespace, pod)',
      "rule X: by (namespace, slot) in 'max by (namespace, slot) (cnpg_mastodon_replication_slots_lost)': no series of cnpg_mastodon_replication_slots_lost has label slot",
      "rule Y: on (namespace, queue) in 'redis_up and on (namespace, queue) sidekiq_queue_backlog': no series of redis_up has label queue",
    ]);
  });

  test('every catalogued metric is used by a rule or a fixture (no entry kept for nothing)', () => {
    const used = new Set([...ruleGroups().flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))), ...fixtureSeries().map((s) => seriesLabels(s.expr).name)]);
    expect(METRIC_CATALOG.flatMap((e) => e.metrics.map((m) => m.name)).filter((n) => !used.has(n))).toEqual([]);
  });
});

describe('the catalog itself', () => {
  const all = METRIC_CATALOG.flatMap((e) => e.metrics.map((m) => ({ e, m })));

  test('each entry has a valid name, a type, its labels and an upstream file at a tag', () => {
    const bad = all.filter(({ m }) => !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.name)
      || !m.labels.every((l) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) && l !== '__name__')
      || !(/^[\w.-]+\/[\w.-]+@v?\d+\.\d+\.\d+:\S+/.test(m.source) || m.source.startsWith('this chart: ')));
    expect(bad.map(({ m }) => m.name)).toEqual([]);
    for (const e of METRIC_CATALOG) {
      expect(e.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      // A source names the exporter's own version.
      for (const m of e.metrics.filter((x) => !x.source.startsWith('this chart: '))) expect(`${e.id}: ${m.source}`).toContain(`@${e.version}:`);
    }
  });

  test('no metric is listed twice, and counters end in _total', () => {
    const names = all.map(({ m }) => m.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(all.filter(({ m }) => m.type === 'counter' && !m.name.endsWith('_total')).map(({ m }) => m.name)).toEqual([]);
  });

  test('an exporter label never shadows a target label Prometheus adds (it would be renamed exported_<label>)', () => {
    // kube-state-metrics is the exception kube-prometheus-stack scrapes with honorLabels: its own
    // namespace, pod and container labels are the point of its series.
    const clashes = all.filter(({ e }) => e.id !== 'kube-state-metrics' && e.id !== 'kubelet')
      .flatMap(({ e, m }) => m.labels.filter((l) => TARGET_LABELS[e.scrape].includes(l)).map((l) => `${m.name}: ${l}`));
    expect(clashes).toEqual([]);
  });
});
