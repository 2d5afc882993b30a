/**
 * The packed library works outside this repository: npm pack, install the tarball into a blank
 * project from the npm cache (the registry only for metadata the cache lacks), compile a TypeScript file that composes
 * the constructs in its own Chart, synthesize it and look at the output.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/fixtures';
import { hovers } from '../support/hover';
import { npmBounded } from '../support/spawn';
import { configJsonSchema } from '../../lib';

jest.setTimeout(240_000);

const CONSUMER = `
declare const process: { argv: string[] };
import { App, Chart } from 'cdk8s';
import { MastodonEnvironment, MastodonWeb, SidekiqQueue, PostgresCluster, CloudflareTunnel } from 'cdk8s-mastodon';

// No config: each construct with a few props, as in the README.
const app = new App({ outdir: process.argv[2] });
const chart = new Chart(app, 'social', { namespace: 'social', disableResourceNameHashes: true });
const postgres = new PostgresCluster(chart, 'Postgres', {
  instance: 'tiny', namespace: 'social', instances: 2,
  backup: { objectStore: { destinationPath: 's3://tiny/pg', endpointURL: 'https://s3.example', credentialsSecret: { name: 'tiny-s3' } } },
});
const environment = new MastodonEnvironment(chart, 'Env', {
  instance: 'tiny', domain: 'tiny.example', secretName: 'tiny-keys', database: postgres.connection,
  smtp: { server: 'smtp.example', fromAddress: 'tiny@tiny.example' },
  media: { s3: { bucket: 'tiny', endpoint: 'https://s3.example', credentialsSecret: { name: 'tiny-s3' } } },
});
const web = new MastodonWeb(chart, 'Web', { environment });
new SidekiqQueue(chart, 'Sidekiq-all', { environment, name: 'all', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'scheduler', 'fasp'] });
new CloudflareTunnel(chart, 'Tunnel', { instance: 'tiny', tunnel: { mode: 'remote', tokenSecret: { name: 'tiny-tunnel', key: 'token' } } });
// Typed handles for wiring.
const handles: string[] = [postgres.primaryService, postgres.poolerService, postgres.appSecret.name, web.service.name];
console.log(handles.join(' '));
app.synth();
`;

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-consumer-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the packed package installs, compiles and synthesizes in a blank project', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const pack = npmBounded(['pack', '--pack-destination', tmp, '--json'], { cwd: ROOT });
  expect([pack.status, pack.status === 0 ? '' : pack.stderr]).toEqual([0, '']);
  const packOut = pack.stdout;
  const tarball = path.join(tmp, JSON.parse(packOut.slice(packOut.indexOf('[')))[0].filename);
  const files: string[] = JSON.parse(packOut.slice(packOut.indexOf('[')))[0].files.map((f: any) => f.path);
  expect(files).toContain('build/lib/index.js');
  expect(files).toContain('build/lib/index.d.ts');
  expect(files.some((f) => f.startsWith('lib/') || f.startsWith('test/'))).toBe(false);
  expect(files).toContain('build/lib/model/types.generated.d.ts');

  const project = path.join(tmp, 'consumer');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({
    name: 'consumer', version: '1.0.0', private: true,
    dependencies: {
      'cdk8s-mastodon': `file:${tarball}`,
      'cdk8s': pkg.devDependencies.cdk8s,
      'cdk8s-plus-28': pkg.devDependencies['cdk8s-plus-28'],
      'constructs': pkg.devDependencies.constructs,
    },
  }, null, 2));
  // --prefer-offline, not --offline: `npm ci` caches tarballs but not the registry metadata a
  // lockfile-less install resolves names with, so on a fresh machine (CI) --offline fails with
  // ENOTCACHED; prefer-offline takes what the cache has and asks the registry only for the rest.
  const install = npmBounded(['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { cwd: project });
  expect([install.status, install.stderr.split('\n').filter((l) => /ERR/.test(l)).join('\n')]).toEqual([0, '']);

  fs.writeFileSync(path.join(project, 'main.ts'), CONSUMER);
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, outDir: 'out', skipLibCheck: true, types: [] },
    files: ['main.ts'],
  }));
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { encoding: 'utf8' });
  expect([tsc.status, tsc.stdout]).toEqual([0, '']);

  const outdir = path.join(project, 'dist');
  const run = spawnSync(process.execPath, [path.join(project, 'out', 'main.js'), outdir], { cwd: project, encoding: 'utf8' });
  expect([run.status, run.stderr]).toEqual([0, '']);
  expect(run.stdout.trim()).toBe('tiny-db-rw tiny-db-pooler tiny-db-app tiny-web');
  const objects = parseAllDocuments(fs.readFileSync(path.join(outdir, 'social.k8s.yaml'), 'utf8')).map((d) => d.toJS());
  const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  expect(names).toEqual(expect.arrayContaining([
    'Cluster/tiny-db', 'Pooler/tiny-db-pooler', 'ObjectStore/tiny-db-store', 'ConfigMap/tiny-env',
    'Deployment/tiny-web', 'Service/tiny-web', 'Deployment/tiny-sidekiq-all', 'Deployment/tiny-tunnel',
  ]));
  const web = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tiny-web');
  expect(web.metadata.namespace).toBe('social');
  expect(web.spec.template.spec.containers[0].image).toBe('ghcr.io/mastodon/mastodon:v4.7.2');
  const env = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'tiny-env');
  expect(env.data.DB_HOST).toBe('tiny-db-pooler');

  // Library users see the schema's docs on hover: the shipped d.ts carries them.
  const shown = hovers(project, `import type { MastodonConfigInput } from 'cdk8s-mastodon';
declare const c: MastodonConfigInput;
export const ns = c./*@namespace*/namespace;
export const threads = c.web?./*@threads*/threads;
`);
  const schema = configJsonSchema() as any;
  expect(shown.namespace).toEqual({ doc: schema.properties.namespace.description, tags: { default: '"mastodon"' } });
  expect(shown.threads).toEqual({ doc: schema.properties.web.properties.threads.description, tags: { default: '5' } });
});
