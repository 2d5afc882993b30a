/**
 * Migrations beside a MastodonEnvironment in a blank cdk8s Chart: the two hook Jobs.
 */
import { Testing } from 'cdk8s';
import { Migrations } from '../../lib/migrations';
import type { MastodonEnvironmentProps } from '../../lib/mastodon-environment';
import { WEB_DEFAULTS } from '../../lib/model/defaults';
import { MIGRATION_DB_POOL } from '../../lib/rules/database';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { environmentChart, TINY_DATABASE } from './mastodon-env';

/** Mastodon behind a pooler, with the primary named apart: where migrations must not go, and where they must. */
const pooled: Partial<MastodonEnvironmentProps> = { database: { ...TINY_DATABASE, host: 'pgbouncer.example', directHost: 'db.example', preparedStatements: false } };

function build(environmentProps?: Partial<MastodonEnvironmentProps>) {
  const { chart, environment } = environmentChart(environmentProps);
  const migrations = new Migrations(chart, 'migrations', { environment });
  return { migrations, objects: Testing.synth(chart) };
}
const containerOf = (o: any) => podSpecOf(o).containers[0];
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('alone, with only the environment', () => {
  const { migrations, objects } = build(pooled);
  const pre = find(objects, 'Job', 'tiny-db-migrate-pre');
  const post = find(objects, 'Job', 'tiny-db-migrate-post');

  test('two Jobs, <instance>-db-migrate-pre and -post', () => {
    expect(objects.filter((o) => o.kind === 'Job').map((o) => o.metadata.name).sort()).toEqual(['tiny-db-migrate-post', 'tiny-db-migrate-pre']);
    expect([migrations.pre.name, migrations.post.name]).toEqual(['tiny-db-migrate-pre', 'tiny-db-migrate-post']);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('pre-deploy skips post-deployment migrations; post-deploy runs them all', () => {
    expect(containerOf(pre).args).toEqual(['bundle', 'exec', 'rails', 'db:migrate:setup']);
    expect(envOf(containerOf(pre)).SKIP_POST_DEPLOYMENT_MIGRATIONS).toBe('true');
    expect(containerOf(post).args).toEqual(['bundle', 'exec', 'rails', 'db:migrate']);
    expect(envOf(containerOf(post)).SKIP_POST_DEPLOYMENT_MIGRATIONS).toBeUndefined();
  });

  test('they carry their env inline (no ConfigMap needed at hook time) and connect to the primary, not the pooler', () => {
    expect(find(objects, 'ConfigMap', 'tiny-env').data.DB_HOST).toBe('pgbouncer.example');
    for (const j of [pre, post]) {
      const c = containerOf(j);
      expect(c.envFrom).toBeUndefined();
      expect(c.env.filter((e: any) => e.name === 'DB_HOST')).toEqual([{ name: 'DB_HOST', value: 'db.example' }]);
      expect(envOf(c).DB_POOL).toBe(String(MIGRATION_DB_POOL));
      expect(envOf(c).LOCAL_DOMAIN).toBe('tiny.example');
      expect(podSpecOf(j).restartPolicy).toBe('Never');
    }
  });

  test('Argo CD: pre is a Sync hook at wave 0, replaced before it is created again; post is PostSync', () => {
    expect(pre.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '0', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(post.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PostSync' });
  });

  test('Helm: pre runs after install and before upgrades; post after both, later', () => {
    expect(pre.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'post-install,pre-upgrade', 'helm.sh/hook-weight': '-5', 'helm.sh/hook-delete-policy': 'before-hook-creation' });
    expect(post.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'post-install,post-upgrade', 'helm.sh/hook-weight': '5' });
  });

  test('a few retries, web\'s resources; alone, no PriorityClass and no pool term', () => {
    for (const j of [pre, post]) {
      expect(j.spec.backoffLimit).toBe(6);
      const spec = podSpecOf(j);
      expect(spec.containers[0].resources).toEqual({ requests: { cpu: '250m', memory: '900Mi' }, limits: { memory: '1400Mi' } });
      expect(spec.priorityClassName).toBeUndefined();
      expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
        .not.toContainEqual(expect.objectContaining({ key: 'node-pool' }));
    }
  });
});

describe('the environment changes what they should', () => {
  test('without a separate primary, DB_HOST is the database host', () => {
    const c = containerOf(find(build().objects, 'Job', 'tiny-db-migrate-pre'));
    expect(envOf(c).DB_HOST).toBe('db.example');
  });
  test('web\'s pool and resources', () => {
    const web = { ...WEB_DEFAULTS, pool: 'onprem', resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } } };
    const spec = podSpecOf(find(build({ workloadDefaults: { web } }).objects, 'Job', 'tiny-db-migrate-post'));
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toContainEqual({ key: 'node-pool', operator: 'In', values: ['onprem'] });
  });
});
