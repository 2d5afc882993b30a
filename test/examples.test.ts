/**
 * The programs in examples/ (docs/constructs.md points to them) run as a user would run them:
 * each writes its manifests (CDK8S_OUTDIR set to a scratch folder), and every object they write
 * passes the strict Kubernetes validation.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../lib/model';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { MASTODON_QUEUES } from '../lib/rules/sidekiq-layout';

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-examples-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs examples/<name>.ts with its output folder in the scratch folder; returns what it wrote and printed. */
function runExample(name: string): { objects: Manifest[]; printed: string[] } {
  const outdir = path.join(tmp, name);
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { printed.push(args.map(String).join(' ')); });
  const before = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir; // cdk8s's App takes its default outdir from here
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an example is a program: requiring it runs it, in a registry of its own
    jest.isolateModules(() => { require(`../examples/${name}`); });
  } finally {
    if (before === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = before;
    log.mockRestore();
  }
  const objects = fs.readdirSync(outdir).sort()
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf8')).map((d) => d.toJS() as Manifest));
  return { objects, printed };
}

const validators = K8S_VERSIONS.map((v) => new K8sValidator(v));
const strictlyValid = (objects: Manifest[]) => {
  for (const v of validators) expect(v.validateAll(objects)).toEqual([]);
};
const names = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();

test('from-config: the example config becomes the whole server', () => {
  const { objects } = runExample('from-config');
  strictlyValid(objects);
  expect(names(objects, 'Deployment')).toEqual(expect.arrayContaining(['ocw-web', 'ocw-streaming', 'ocw-tunnel']));
  expect(names(objects, 'Cluster')).toEqual(['ocw-db']);
});

test('standalone: a Postgres cluster and a tunnel outside Mastodon, with the handles it prints', () => {
  const { objects, printed } = runExample('standalone');
  strictlyValid(objects);
  expect(printed).toEqual(['apps-db-pooler apps-db-app']);
  expect(names(objects, 'Cluster')).toEqual(['apps-db']);
  expect(names(objects, 'Deployment')).toEqual(['apps-tunnel']);
  for (const o of objects) expect(o.metadata.namespace ?? 'apps').toBe('apps');
});

test('without-config: a whole server from a few props: Postgres, Redis, migrations, web, streaming and Sidekiq serving every queue', () => {
  const { objects } = runExample('without-config');
  strictlyValid(objects);
  expect(names(objects, 'Deployment')).toEqual(['social-sidekiq-default', 'social-sidekiq-scheduler', 'social-streaming', 'social-web']);
  expect(names(objects, 'StatefulSet')).toEqual(['social-redis']);
  expect(names(objects, 'Service')).toEqual(expect.arrayContaining(['social-redis', 'social-streaming', 'social-web']));
  expect(names(objects, 'Job')).toEqual(['social-db-migrate-post', 'social-db-migrate-pre']);
  expect(names(objects, 'Cluster')).toEqual(['social-db']);
  const web = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'social-web')!;
  const env = (web.spec.template.spec.containers[0].envFrom ?? []) as { configMapRef?: { name: string } }[];
  expect(env.map((e) => e.configMapRef?.name).filter(Boolean)).toEqual(['social-env']);
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'social-env')!;
  // The Redis it runs is the one the environment reaches.
  expect(config.data).toEqual(expect.objectContaining({ LOCAL_DOMAIN: 'social.example', REDIS_HOST: 'social-redis', REDIS_PORT: '6379' }));
  // Every queue Mastodon enqueues on is served by some Sidekiq Deployment.
  const served = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('social-sidekiq-'))
    .flatMap((o) => [...String(o.spec.template.spec.containers[0].args.join(' ')).matchAll(/-q (\S+)/g)].map((m) => m[1]));
  expect(new Set(served)).toEqual(new Set(MASTODON_QUEUES));
  // Mastodon and Redis fit any cluster: no PriorityClass, no pool term (PostgresCluster has its own defaults).
  expect(names(objects, 'PriorityClass')).toEqual([]);
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) && !/^social-db-(?!migrate)/.test(o.metadata.name));
  expect(workloads).toHaveLength(7);
  expect(JSON.stringify(workloads)).not.toMatch(/node-pool|priorityClassName/);
});
