/**
 * `npm run synth:helm` builds the Helm chart's templates in-process (scripts/synth-helm.ts); the
 * real `cdk8s synth --format helm` (the cdk8s.yaml app through ts-node) must give the same chart,
 * every file byte for byte, for the example and for a config with every namespace-naming feature
 * on (the one test/helm-namespace.test.ts renders).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { buildHelmChart } from '../../scripts/synth-helm';
import { scratchDir } from './support/servers';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '..', '..');

/** Every file under `dir`, by its relative path. */
function tree(dir: string, at = ''): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(path.join(dir, at), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => {
    const rel = path.join(at, e.name);
    return e.isDirectory() ? Object.entries(tree(dir, rel)) : [[rel, fs.readFileSync(path.join(dir, rel), 'utf8')]];
  }));
}

let tmp: string;
beforeAll(() => {
  tmp = scratchDir('helm-eq');
  const config = parse(fs.readFileSync(path.join(ROOT, 'config', 'example.yaml'), 'utf8'));
  config.namespace = 'fedi-prod';
  config.network = { ...config.network, cnpgOperatorNamespace: 'cnpg-ops', monitoringNamespace: 'prom-mon' };
  config.sidekiq.keda = { ...config.sidekiq.keda, operatorNamespace: 'keda-ops' };
  config.monitoring = { enabled: true, namespace: 'prom-mon' };
  fs.writeFileSync(path.join(tmp, 'fedi-prod.yaml'), stringify(config));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.each([
  ['the example', path.join(ROOT, 'config', 'example.yaml')],
  ['every namespace-naming feature on', 'fedi-prod.yaml'],
])('%s: the in-process Helm chart equals the one built with cdk8s synth --format helm', (name, config) => {
  const file = path.isAbsolute(config) ? config : path.join(tmp, config);
  const slug = name.replace(/\W/g, '_');
  const viaCli = path.join(tmp, `cli-${slug}`);
  const inProcess = path.join(tmp, `fast-${slug}`);
  expect(buildHelmChart(viaCli, file, { synth: 'cli' })).toBeUndefined();
  expect(buildHelmChart(inProcess, file)).toBeUndefined();
  const cli = tree(viaCli);
  // The chart's own files plus the Mastodon manifests, nothing else (no crds/, no Argo CD file).
  expect(Object.keys(cli)).toEqual(['Chart.yaml', 'README.md', 'templates/mastodon.k8s.yaml', 'values.schema.json', 'values.yaml']);
  expect(tree(inProcess)).toEqual(cli);
});
