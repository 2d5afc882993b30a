/**
 * ArgoCdChart in a cdk8s Testing app, from the smallest config with an `argocd:` section. The
 * file it writes into dist/ (and the Mastodon manifests it points at): test/delivery.test.ts.
 */
import { Testing } from 'cdk8s';
import { ARGOCD_SYNC_OPTIONS, ArgoCdChart, ArgoCdChartProps } from '../../lib/argocd';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { find } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { tinyConfig } from './tiny-config';

const REPO = 'https://git.example/tiny/gitops.git';
function build(argocd: Record<string, unknown> = {}, props: Partial<ArgoCdChartProps> = {}) {
  const config = resolveConfigOrThrow(tinyConfig((c) => { c.argocd = { repoURL: REPO, ...argocd }; }));
  const chart = new ArgoCdChart(Testing.app(), 'argocd', { config, ...props });
  return { chart, objects: Testing.synth(chart) };
}

describe('from the smallest config, with the defaults', () => {
  const { chart, objects } = build();
  const app = find(objects, 'Application', 'tiny-mastodon');
  const project = find(objects, 'AppProject', 'tiny');

  test('an Application <instance>-mastodon and an AppProject <instance>, both in the argocd namespace', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(['AppProject/argocd/tiny', 'Application/argocd/tiny-mastodon']);
    expect([chart.application.name, chart.project.name]).toEqual(['tiny-mastodon', 'tiny']);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s and the Argo CD CRDs', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the source is the repository\'s dist/ on main, and only the Mastodon manifests in it', () => {
    expect(app.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: 'dist', directory: { include: 'mastodon.k8s.yaml', recurse: false } });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'mastodon' });
    expect(app.spec.project).toBe('tiny');
  });

  test('automated sync with prune and self-heal, server-side apply, the namespace created, retries with backoff', () => {
    expect(app.spec.syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['ServerSideApply=true', 'CreateNamespace=true'],
      retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
    });
    expect(ARGOCD_SYNC_OPTIONS).toEqual(['ServerSideApply=true', 'CreateNamespace=true']);
  });

  test('the project allows only its repository, only its namespace, and only the Namespace and PriorityClasses cluster-wide', () => {
    expect(project.spec.sourceRepos).toEqual([REPO]);
    expect(project.spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: 'mastodon' }]);
    expect(project.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }, { group: 'scheduling.k8s.io', kind: 'PriorityClass' }]);
    expect(project.spec.description).toBe('Mastodon tiny.example: only its repository, only its namespace.');
  });

  test('the standard labels, component gitops', () => {
    for (const o of objects) expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'tiny', 'app.kubernetes.io/component': 'gitops' });
  });
});

describe('props and config change what they should', () => {
  test('revision, path, namespace, project and cluster from the config; the manifest file from the props', () => {
    const { objects } = build(
      { targetRevision: 'v2', path: 'deploy/out', namespace: 'gitops', project: 'social', destinationServer: 'https://k3s.example:6443' },
      { manifestFile: 'other.k8s.yaml' });
    const app = find(objects, 'Application', 'tiny-mastodon');
    const project = find(objects, 'AppProject', 'social');
    expect(app.metadata.namespace).toBe('gitops');
    expect(project.metadata.namespace).toBe('gitops');
    expect(app.spec.project).toBe('social');
    expect(app.spec.source).toEqual({ repoURL: REPO, targetRevision: 'v2', path: 'deploy/out', directory: { include: 'other.k8s.yaml', recurse: false } });
    expect(app.spec.destination.server).toBe('https://k3s.example:6443');
    expect(project.spec.destinations).toEqual([{ server: 'https://k3s.example:6443', namespace: 'mastodon' }]);
  });

  test('refused without an argocd section', () => {
    expect(() => new ArgoCdChart(Testing.app(), 'argocd', { config: resolveConfigOrThrow(tinyConfig()) })).toThrow('ArgoCdChart needs config.argocd');
  });
});
