/**
 * The Helm chart follows the namespace it is installed into (`helm install -n X` sets
 * .Release.Namespace), and its README and the main README install it the same way.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { buildHelmChart } from '../scripts/synth-helm';
import { helmBinary } from '../scripts/helm-binary';
import { ROOT } from './support/fixtures';

jest.setTimeout(180_000);

let tmp: string;
let chart: string;
let helm: string;
/** `helm template ocw <chart> --namespace other`, run once and shared by the tests that read it. */
let otherRender: SpawnSyncReturns<string>;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-helm-ns-'));
  chart = path.join(tmp, 'chart');
  helm = await helmBinary();
  const problem = buildHelmChart(chart);
  if (problem) throw new Error(problem);
  otherRender = spawnSync(helm, ['template', 'ocw', chart, '--namespace', 'other'], { encoding: 'utf8' });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every `namespace` field anywhere in an object, with its path. */
function namespaces(o: unknown, at = ''): [string, string][] {
  if (Array.isArray(o)) return o.flatMap((x, i) => namespaces(x, `${at}[${i}]`));
  if (!o || typeof o !== 'object') return [];
  return Object.entries(o).flatMap(([k, v]) => [
    ...(k === 'namespace' && typeof v === 'string' ? [[`${at}.${k}`, v] as [string, string]] : []),
    ...namespaces(v, `${at}.${k}`),
  ]);
}

test('helm template -n other puts every namespaced object (and every reference to its namespace) in other', () => {
  const r = otherRender;
  expect([r.status, r.stderr]).toEqual([0, '']);
  const objects = parseAllDocuments(r.stdout, { version: '1.1' }).map((d) => d.toJS()).filter((o) => o);
  const namespaced = objects.filter((o) => o.kind !== 'PriorityClass');
  expect(namespaced.length).toBeGreaterThan(30);
  for (const o of namespaced) expect(`${o.kind}/${o.metadata.name} ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} other`);
  // RoleBinding subjects and the like follow too: nothing is left pointing at 'mastodon'.
  const stale = objects.flatMap((o) => namespaces(o).filter(([, v]) => v === 'mastodon').map(([p]) => `${o.kind}/${o.metadata.name}${p}`));
  expect(stale).toEqual([]);
});

test('values that only equal the namespace keep it (the database name and user are mastodon)', () => {
  const r = otherRender;
  expect([r.status, r.stderr]).toEqual([0, '']);
  const objects = parseAllDocuments(r.stdout, { version: '1.1' }).map((d) => d.toJS()).filter((o) => o);
  const env = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'ocw-env');
  expect([env.data.DB_NAME, env.data.DB_USER]).toEqual(['mastodon', 'mastodon']);
  const cluster = objects.find((o) => o.kind === 'Cluster');
  expect(cluster.spec.bootstrap.initdb.database).toBe('mastodon');
  expect(cluster.spec.certificates.serverAltDNSNames).toContain('ocw-db-pooler.other.svc');
});

test('the chart README and the delivery guide install the same release into the same namespace', () => {
  const line = (text: string) => /^helm install .*$/m.exec(text)?.[0];
  const chartLine = line(fs.readFileSync(path.join(chart, 'README.md'), 'utf8'));
  expect(chartLine).toMatch(/^helm install ocw \.\/chart --namespace mastodon --create-namespace( --timeout \d+m)?$/);
  expect(line(fs.readFileSync(path.join(ROOT, 'docs', 'delivery.md'), 'utf8'))).toBe(chartLine);
});

/** Every string (values and keys) in an object that contains `needle`, with its path. */
function mentions(o: unknown, needle: string, at = ''): string[] {
  if (Array.isArray(o)) return o.flatMap((x, i) => mentions(x, needle, `${at}[${i}]`));
  if (typeof o === 'string') return o.includes(needle) ? [`${at} = ${o}`] : [];
  if (!o || typeof o !== 'object') return [];
  return Object.entries(o).flatMap(([k, v]) => [...(k.includes(needle) ? [`${at}.{${k}}`] : []), ...mentions(v, needle, `${at}.${k}`)]);
}

describe('names that embed the namespace follow the release namespace too', () => {
  // A namespace string that means nothing else (the example's 'mastodon' is also the database
  // name and user), with every feature on that names a namespace: monitoring, KEDA, CNPG.
  let objects: any[];
  beforeAll(() => {
    const config = parse(fs.readFileSync(path.join(ROOT, 'config', 'example.yaml'), 'utf8'));
    config.namespace = 'fedi-prod';
    config.network = { ...config.network, cnpgOperatorNamespace: 'cnpg-ops', monitoringNamespace: 'prom-mon' };
    config.sidekiq.keda = { ...config.sidekiq.keda, operatorNamespace: 'keda-ops' };
    config.monitoring = { enabled: true, namespace: 'prom-mon' };
    const file = path.join(tmp, 'fedi-prod.yaml');
    fs.writeFileSync(file, stringify(config));
    const out = path.join(tmp, 'chart-fedi-prod');
    const problem = buildHelmChart(out, file);
    if (problem) throw new Error(problem);
    const r = spawnSync(helm, ['template', 'ocw', out, '--namespace', 'other'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    objects = parseAllDocuments(r.stdout, { version: '1.1' }).map((d) => d.toJS()).filter((o) => o);
  });

  test('the configured namespace appears nowhere in helm template -n other', () => {
    expect(objects.length).toBeGreaterThan(30);
    expect(objects.flatMap((o) => mentions(o, 'fedi-prod').map((m) => `${o.kind}/${o.metadata.name}${m}`))).toEqual([]);
  });

  test('the pooler certificate names and the KEDA Redis address use the release namespace', () => {
    const cluster = objects.find((o) => o.kind === 'Cluster');
    expect(cluster.spec.certificates.serverAltDNSNames).toEqual(['ocw-db-pooler', 'ocw-db-pooler.other', 'ocw-db-pooler.other.svc', 'ocw-db-pooler.other.svc.cluster.local']);
    const addresses = objects.filter((o) => o.kind === 'ScaledObject').flatMap((o) => o.spec.triggers.map((t: any) => t.metadata.address));
    expect(addresses.length).toBeGreaterThan(0);
    expect(new Set(addresses)).toEqual(new Set(['ocw-redis.other.svc:6379']));
  });

  test('the alert rules watch the release namespace and keep their Prometheus templates', () => {
    const rules = objects.find((o) => o.kind === 'PrometheusRule').spec.groups.flatMap((g: any) => g.rules);
    expect(rules.length).toBeGreaterThan(10);
    // Every namespace matcher, quoted or not: a PromQL label value must be a quoted string
    // (namespace=other does not parse, and the Prometheus Operator refuses the whole rule object).
    const selectors = rules.flatMap((r: any) => [...(r.expr as string).matchAll(/\bnamespace(=~?|!=)([^,}]*)/g)].map((m) => m[2].trim()));
    expect(selectors.length).toBeGreaterThan(10);
    expect(new Set(selectors)).toEqual(new Set(['"other"']));
    // Helm must not eat the {{ $labels.pod }} Prometheus fills in (it failed to render before).
    expect(JSON.stringify(rules)).toContain('kubectl -n other logs {{ $labels.pod }}');
  });

  test('the operator namespaces stay as configured', () => {
    const text = JSON.stringify(objects);
    for (const ns of ['cnpg-ops', 'keda-ops', 'prom-mon']) expect([ns, text.includes(`"kubernetes.io/metadata.name":"${ns}"`)]).toEqual([ns, true]);
  });
});
