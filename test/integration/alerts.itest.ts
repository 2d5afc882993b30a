/**
 * The alert rules, run by Prometheus' own promtool (Debian's `prometheus` package):
 * - `promtool check rules` on the PrometheusRule the chart renders (PromQL and templates parse);
 * - `promtool test rules` with the fixtures in fixtures/alerts/: for every alert, input series
 *   that make it fire at the right time and series that keep it quiet;
 * - the fixtures are not decoration: with an alert's rule replaced by one that never fires, the
 *   fixtures that expect it to fire fail.
 * Rendered for config/example.yaml with monitoring on (instance ocw, namespace mastodon).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { exampleRaw, find, render, withChange } from '../support/fixtures';
import { run, runOk, scratchDir } from './support/servers';

const FIXTURES = path.join(__dirname, 'fixtures', 'alerts');
const fixtureFiles = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).sort();

interface Rule { alert: string; expr: string; for: string; labels: Record<string, string>; annotations?: Record<string, string> }
interface Group { name: string; rules: Rule[] }

let dir: string;
let groups: Group[];
/** The rules with their annotations left out: unit tests compare annotations too, and these check when an alert fires. */
const withoutAnnotations = (gs: Group[]): Group[] => gs.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _a, ...r }) => r) }));
const writeRules = (file: string, gs: Group[]) => fs.writeFileSync(path.join(dir, file), stringify({ groups: gs }, { lineWidth: 0 }));
const promtoolTest = (file: string) => run('promtool', ['test', 'rules', file], { cwd: dir, timeoutMs: 120_000 });

beforeAll(() => {
  dir = scratchDir('alerts');
  const raw = withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true, ruleLabels: { release: 'kube-prometheus-stack' } }; });
  groups = find(render(raw), 'PrometheusRule', 'ocw-alerts').spec.groups as Group[];
  writeRules('rules-full.yaml', groups);
  writeRules('rules.yaml', withoutAnnotations(groups));
  for (const f of fixtureFiles) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const alertNames = () => [...new Set(groups.flatMap((g) => g.rules.map((r) => r.alert)))];

test('promtool check rules accepts every rendered rule, with its templates', () => {
  const out = runOk('promtool', ['check', 'rules', 'rules-full.yaml'], { cwd: dir });
  const count = groups.reduce((n, g) => n + g.rules.length, 0);
  expect(count).toBeGreaterThan(25);
  expect(out).toContain(`SUCCESS: ${count} rules found`);
});

test('promtool check rules refuses a broken expression or template (the check can fail)', () => {
  const broken = structuredClone(groups);
  broken[0].rules[0].expr = 'rate(kube_deployment_spec_replicas[5m]';
  writeRules('broken-expr.yaml', broken);
  const r1 = run('promtool', ['check', 'rules', 'broken-expr.yaml'], { cwd: dir });
  expect(r1.status).not.toBe(0);
  const badTemplate = structuredClone(groups);
  badTemplate[0].rules[0].annotations!.description = '{{ $labels.pod ';
  writeRules('broken-template.yaml', badTemplate);
  const r2 = run('promtool', ['check', 'rules', 'broken-template.yaml'], { cwd: dir });
  expect(r2.status).not.toBe(0);
});

test.each(fixtureFiles)('promtool test rules %s', (f) => {
  const r = promtoolTest(f);
  if (r.status !== 0) throw new Error(`${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toContain('SUCCESS');
});

describe('the fixtures cover every alert', () => {
  const cases = () => fixtureFiles.flatMap((f) => {
    const doc = parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'));
    return doc.tests.flatMap((t: any) => (t.alert_rule_test ?? []).map((a: any) => ({ file: f, alert: a.alertname as string, fires: (a.exp_alerts ?? []).length > 0 })));
  });

  test('each alert has a series that makes it fire and one that keeps it quiet', () => {
    const all = cases();
    const missing = alertNames().flatMap((name) => [
      ...(all.some((c) => c.alert === name && c.fires) ? [] : [`${name}: no firing case`]),
      ...(all.some((c) => c.alert === name && !c.fires) ? [] : [`${name}: no quiet case`]),
    ]);
    expect(missing).toEqual([]);
    // No fixture tests an alert the rules do not have (a renamed alert would pass silently).
    expect([...new Set(all.map((c) => c.alert))].filter((a) => !alertNames().includes(a))).toEqual([]);
  });

  test('with an alert that never fires, the fixtures expecting it fail (they test the rule, not themselves)', () => {
    const all = cases();
    const survivors: string[] = [];
    for (const name of alertNames()) {
      const mutated = withoutAnnotations(groups).map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === name ? { ...r, expr: 'vector(1) > 2' } : r)) }));
      writeRules('rules-mutated.yaml', mutated);
      for (const file of [...new Set(all.filter((c) => c.alert === name && c.fires).map((c) => c.file))]) {
        // Only the test cases that expect this alert to fire, against the mutated rules.
        const doc = parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
        doc.rule_files = ['rules-mutated.yaml'];
        doc.tests = doc.tests.filter((t: any) => (t.alert_rule_test ?? []).some((a: any) => a.alertname === name && (a.exp_alerts ?? []).length > 0));
        fs.writeFileSync(path.join(dir, `mutated-${file}`), stringify(doc));
        if (promtoolTest(`mutated-${file}`).status === 0) survivors.push(`${name} in ${file}`);
      }
    }
    expect(survivors).toEqual([]);
  });
});

test('Prometheus renders the runbook annotations with the labels of the firing series', () => {
  const rule = groups.flatMap((g) => g.rules).find((r) => r.alert === 'PostgresCorruptionCheckFailed')!;
  const job = 'ocw-db-amcheck-29410500';
  const fill = (s: string) => s.replaceAll('{{ $labels.job_name }}', job);
  const test = {
    rule_files: ['rules-full.yaml'],
    evaluation_interval: '1m',
    tests: [{
      interval: '1m',
      input_series: [{ series: `kube_job_failed{namespace="mastodon", job_name="${job}", condition="true"}`, values: '1x5' }],
      alert_rule_test: [{
        eval_time: '2m',
        alertname: 'PostgresCorruptionCheckFailed',
        exp_alerts: [{
          exp_labels: { severity: 'critical', namespace: 'mastodon', job_name: job },
          exp_annotations: Object.fromEntries(Object.entries(rule.annotations!).map(([k, v]) => [k, fill(v)])),
        }],
      }],
    }],
  };
  expect(rule.annotations!.runbook).toContain(`kubectl -n mastodon logs job/${job}`.replace(job, '{{ $labels.job_name }}'));
  expect(rule.annotations!.runbook_url).toMatch(/#monitoring-and-alerts$/);
  fs.writeFileSync(path.join(dir, 'annotations.yaml'), stringify(test));
  const r = promtoolTest('annotations.yaml');
  if (r.status !== 0) throw new Error(`${r.stdout}\n${r.stderr}`);
});

test('the Helm chart\'s rules, rendered by helm template -n other, pass promtool check rules too', async () => {
  // The chart rewrites the namespace into {{ .Release.Namespace }} and escapes Prometheus'
  // own {{ }}: what Helm renders must still be valid PromQL and valid templates.
  const { buildHelmChart } = await import('../../scripts/synth-helm');
  const { helmBinary } = await import('../../scripts/helm-binary');
  const config = path.join(dir, 'monitoring.yaml');
  fs.writeFileSync(config, stringify(withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true, ruleLabels: { release: 'kube-prometheus-stack' } }; })));
  const chart = path.join(dir, 'chart');
  expect(buildHelmChart(chart, config)).toBeUndefined();
  const rendered = runOk(await helmBinary(), ['template', 'ocw', chart, '--namespace', 'other'], { cwd: dir });
  const rules = parseAllDocuments(rendered).map((d) => d.toJS()).filter((o) => o?.kind === 'PrometheusRule');
  const helmGroups = rules.flatMap((r) => r.spec.groups) as Group[];
  expect(helmGroups.map((g) => g.name)).toEqual(groups.map((g) => g.name));
  writeRules('rules-helm.yaml', helmGroups);
  const count = helmGroups.reduce((n, g) => n + g.rules.length, 0);
  expect(runOk('promtool', ['check', 'rules', 'rules-helm.yaml'], { cwd: dir })).toContain(`SUCCESS: ${count} rules found`);
}, 300_000);
