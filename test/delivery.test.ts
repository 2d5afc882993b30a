/**
 * The three ways users take the output: Argo CD syncing dist/, helm install of the generated
 * chart (checked with the real helm binary), and the npm package (see consumer.test.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { buildHelmChart, CHART_NAME } from '../scripts/synth-helm';
import { helmBinary } from '../scripts/helm-binary';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { scanObjects, scanText } from './support/secret-scan';
import { podPolicyOffences } from './support/pod-policy';
import { exampleRaw, ROOT, resolved, withChange } from './support/fixtures';
import { helmTimeoutAdvice } from '../lib/rules/job-timeout';
import { operatorInstallMarkdown } from '../lib/rules/operators';
import { renderManifests } from '../lib/app/render';

jest.setTimeout(120_000);

const DIST = path.join(ROOT, 'dist');
/** The documents of a manifest text, read as Helm and kubectl read it (YAML 1.1: `yes` is a boolean). */
const docs = (text: string) => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()).filter((o) => o);
const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objects: any[]) => Object.fromEntries(objects.map((o) => [key(o), o]));
const distMastodon = docs(fs.readFileSync(path.join(DIST, 'mastodon.k8s.yaml'), 'utf8'));

let tmp: string;
let chart: string;
let helm: string;
const runHelm = (...args: string[]) => spawnSync(helm, args, { encoding: 'utf8' });
/** `helm template ocw <chart> --namespace mastodon`, run once and shared by the tests that read it. */
let defaultRender: ReturnType<typeof runHelm>;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-helm-'));
  chart = path.join(tmp, 'chart');
  helm = await helmBinary();
  const problem = buildHelmChart(chart);
  if (problem) throw new Error(problem);
  defaultRender = runHelm('template', 'ocw', chart, '--namespace', 'mastodon');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the Helm chart', () => {
  test('named cdk8s-mastodon, versioned from package.json and Mastodon, with a description and icon', () => {
    const meta = parse(fs.readFileSync(path.join(chart, 'Chart.yaml'), 'utf8'));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(meta).toMatchObject({ apiVersion: 'v2', name: CHART_NAME, version: pkg.version, appVersion: 'v4.7.2', type: 'application' });
    expect(meta.description).toMatch(/Mastodon/);
    expect(meta.description).not.toMatch(/Generated chart for/);
    expect(meta.icon).toMatch(/^https:\/\//);
  });
  test('no copied CRDs: the operators own them', () => {
    expect(fs.existsSync(path.join(chart, 'crds'))).toBe(false);
  });
  test('a README that names the required operators', () => {
    const readme = fs.readFileSync(path.join(chart, 'README.md'), 'utf8');
    for (const op of ['CloudNativePG', 'Barman Cloud plugin', 'cert-manager']) expect(readme).toContain(op);
    // Issue 10, defect 10: a --timeout that outlasts the migration Job's retries, from the rendered Job.
    const advice = helmTimeoutAdvice(renderManifests(resolved()));
    expect(advice.seconds).toBeGreaterThan(300);
    expect(readme).toContain(`--create-namespace --timeout ${advice.timeout}`);
    expect(readme).toContain(advice.text);
  });
  // Moved from operators-docs.test.ts, to share this file's chart (building one runs the cdk8s CLI).
  test('the Helm chart README carries the same operator install steps as the README', () => {
    // the example sets sidekiq.keda (operatorNamespace keda), so the KEDA step is there too
    expect(fs.readFileSync(path.join(chart, 'README.md'), 'utf8')).toContain(operatorInstallMarkdown('cnpg-system', 'keda'));
  });
  test('helm lint --strict passes', () => {
    const r = runHelm('lint', '--strict', chart);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
  test('helm template renders the same objects as dist/', () => {
    const r = defaultRender;
    expect([r.status, r.stderr]).toEqual([0, '']);
    const rendered = docs(r.stdout);
    expect(Object.keys(byKey(rendered)).sort()).toEqual(Object.keys(byKey(distMastodon)).sort());
    expect(byKey(rendered)).toEqual(byKey(distMastodon));
  });
  test('values: the image tag and replica counts are wired into the templates', () => {
    const r = runHelm('template', 'ocw', chart, '--namespace', 'mastodon', '--set', 'mastodon.tag=v4.7.3', '--set', 'web.replicas=1', '--set', 'sidekiq.default.replicas=0');
    expect(r.status).toBe(0);
    const o = byKey(docs(r.stdout));
    const web = o['Deployment/mastodon/ocw-web'];
    expect(web.spec.replicas).toBe(1);
    expect(web.spec.template.spec.containers[0].image).toBe('ghcr.io/mastodon/mastodon:v4.7.3');
    expect(web.metadata.labels['app.kubernetes.io/version']).toBe('v4.7.3');
    expect(o['Deployment/mastodon/ocw-streaming'].spec.template.spec.containers[0].image).toBe('ghcr.io/mastodon/mastodon-streaming:v4.7.3');
    expect(o['Job/mastodon/ocw-db-migrate-pre'].spec.template.spec.containers[0].image).toBe('ghcr.io/mastodon/mastodon:v4.7.3');
    expect(o['Deployment/mastodon/ocw-sidekiq-default'].spec.replicas).toBe(0);
    // Selectors never carry the version, so an upgrade through values keeps them.
    expect(web.spec.selector.matchLabels['app.kubernetes.io/version']).toBeUndefined();
  });
  test('a group KEDA scales has no spec.replicas and no replicas value (the HPA owns the count)', () => {
    const o = byKey(docs(defaultRender.stdout));
    expect(o['Deployment/mastodon/ocw-sidekiq-push'].spec).not.toHaveProperty('replicas');
    expect(o['ScaledObject/mastodon/ocw-sidekiq-push'].spec.scaleTargetRef.name).toBe('ocw-sidekiq-push');
    const values = parse(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'));
    expect(Object.keys(values.sidekiq)).toEqual(['default']);
    const offered = runHelm('template', 'ocw', chart, '--set', 'sidekiq.push.replicas=2');
    expect(offered.status).not.toBe(0);
  });
  test('values.schema.json refuses what the connection budget was not computed for', () => {
    const up = runHelm('template', 'ocw', chart, '--set', 'web.replicas=5');
    expect(up.status).not.toBe(0);
    expect(up.stderr).toMatch(/web\.replicas|maximum/i);
    const tag = runHelm('template', 'ocw', chart, '--set', 'mastodon.tag=latest');
    expect(tag.status).not.toBe(0);
    const typo = runHelm('template', 'ocw', chart, '--set', 'web.replicaz=1');
    expect(typo.status).not.toBe(0);
  });
  test('every rendered object validates strictly; pods pass the policy; no secrets', () => {
    const rendered = docs(defaultRender.stdout);
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(rendered)).toEqual([]);
    expect(podPolicyOffences(rendered)).toEqual([]);
    const files = fs.readdirSync(chart, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
    expect(files.flatMap((f) => scanText(f, fs.readFileSync(f, 'utf8')))).toEqual([]);
    expect(scanObjects('helm template', rendered)).toEqual([]);
  });
});

describe('the Helm chart under YAML 1.1 readers', () => {
  // Helm and kubectl read manifests with sigs.k8s.io/yaml (go-yaml v2 rules: YAML 1.1), where
  // on/off/yes/no/y/n are booleans. dist/ is written as YAML 1.1 (cdk8s's Yaml.stringify), so such
  // strings are quoted there; the chart's templates must be too, or `log_checkpoints: on` reaches
  // the API server as `true` and CNPG's CRD refuses the Cluster (parameters are strings).
  test('string parameters that YAML 1.1 reads as booleans stay strings after helm template', () => {
    const parameters = { log_checkpoints: 'on', wal_compression: 'off', jit: 'no', track_io_timing: 'yes' };
    const file = path.join(tmp, 'yaml11.yaml');
    fs.writeFileSync(file, stringify(withChange(exampleRaw(), (c) => { c.database.parameters = parameters; })));
    const dir = path.join(tmp, 'chart-yaml11');
    expect(buildHelmChart(dir, file)).toBeUndefined();
    const r = runHelm('template', 'ocw', dir, '--namespace', 'mastodon');
    expect([r.status, r.stderr]).toEqual([0, '']);
    const cluster = parseAllDocuments(r.stdout, { version: '1.1' }).map((d) => d.toJS()).find((o) => o?.kind === 'Cluster');
    expect(cluster.spec.postgresql.parameters).toMatchObject(parameters);
  });
});

describe('Argo CD', () => {
  const argo = docs(fs.readFileSync(path.join(DIST, 'argocd.k8s.yaml'), 'utf8'));
  const app = argo.find((o) => o.kind === 'Application');
  const project = argo.find((o) => o.kind === 'AppProject');
  test('an Application and an AppProject in their own file, valid against the Argo CD 3.5 CRDs', () => {
    expect(argo.map((o) => o.kind).sort()).toEqual(['AppProject', 'Application']);
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(argo)).toEqual([]);
  });
  test('the source is the repo path, and only the Mastodon manifests in it', () => {
    expect(app.spec.source).toEqual({
      repoURL: 'https://github.com/ocw-social/gitops.git', targetRevision: 'main', path: 'dist',
      directory: { include: 'mastodon.k8s.yaml', recurse: false },
    });
  });
  test('automated sync with prune and self-heal, server-side apply, the namespace created, retries with backoff', () => {
    expect(app.spec.syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['ServerSideApply=true', 'CreateNamespace=true'],
      retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
    });
  });
  test('the project is scoped to the repository and the namespace', () => {
    expect(project.spec.sourceRepos).toEqual(['https://github.com/ocw-social/gitops.git']);
    expect(project.spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: 'mastodon' }]);
    expect(app.spec.project).toBe(project.metadata.name);
    // The cluster-scoped kinds the Mastodon manifests hold must be allowed.
    const clusterScoped = [...new Set(distMastodon.filter((o) => !o.metadata.namespace).map((o) => o.kind))];
    for (const kind of clusterScoped) expect(project.spec.clusterResourceWhitelist.map((w: any) => w.kind)).toContain(kind);
  });
  test('every object is ordered: a sync wave, or a hook', () => {
    for (const o of distMastodon) {
      const a = o.metadata.annotations ?? {};
      expect([key(o), a['argocd.argoproj.io/sync-wave'] !== undefined || a['argocd.argoproj.io/hook'] !== undefined]).toEqual([key(o), true]);
    }
  });
  test('persistent data is never pruned or deleted', () => {
    const cluster = distMastodon.find((o) => o.kind === 'Cluster');
    expect(cluster.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    const redis = distMastodon.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'ocw-redis');
    // Its PVC comes from the claim template and is kept when the StatefulSet goes.
    expect(redis.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });
  test('the migration Jobs carry hooks for both Argo CD and Helm', () => {
    for (const j of distMastodon.filter((o) => o.kind === 'Job')) {
      expect(j.metadata.annotations['argocd.argoproj.io/hook']).toMatch(/^(Sync|PostSync)$/);
      expect(j.metadata.annotations['helm.sh/hook']).toBeDefined();
    }
  });
});
