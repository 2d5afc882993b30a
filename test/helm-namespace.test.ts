/**
 * The Helm chart follows the namespace it is installed into (`helm install -n X` sets
 * .Release.Namespace), and its README and the main README install it the same way.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { buildHelmChart } from '../scripts/synth-helm';
import { helmBinary } from '../scripts/helm-binary';
import { ROOT } from './support/fixtures';

jest.setTimeout(180_000);

let tmp: string;
let chart: string;
let helm: string;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-helm-ns-'));
  chart = path.join(tmp, 'chart');
  helm = await helmBinary();
  const problem = buildHelmChart(chart);
  if (problem) throw new Error(problem);
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
  const r = spawnSync(helm, ['template', 'ocw', chart, '--namespace', 'other'], { encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const objects = parseAllDocuments(r.stdout).map((d) => d.toJS()).filter((o) => o);
  const namespaced = objects.filter((o) => o.kind !== 'PriorityClass');
  expect(namespaced.length).toBeGreaterThan(30);
  for (const o of namespaced) expect(`${o.kind}/${o.metadata.name} ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} other`);
  // RoleBinding subjects and the like follow too: nothing is left pointing at 'mastodon'.
  const stale = objects.flatMap((o) => namespaces(o).filter(([, v]) => v === 'mastodon').map(([p]) => `${o.kind}/${o.metadata.name}${p}`));
  expect(stale).toEqual([]);
});

test('the chart README and the main README install the same release into the same namespace', () => {
  const line = (text: string) => /^helm install .*$/m.exec(text)?.[0];
  const chartLine = line(fs.readFileSync(path.join(chart, 'README.md'), 'utf8'));
  expect(chartLine).toMatch(/^helm install ocw \.\/chart --namespace mastodon --create-namespace( --timeout \d+m)?$/);
  expect(line(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))).toBe(chartLine);
});
