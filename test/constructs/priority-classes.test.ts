/**
 * PriorityClasses alone in a cdk8s Testing app: the three cluster-scoped classes.
 */
import { Chart, Testing } from 'cdk8s';
import { PriorityClasses } from '../../lib/priority-classes';
import { PRIORITY_TIERS } from '../../lib/conventions/priority';
import { find } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';

/** In a chart with a namespace, as MastodonChart has: every object would get it stamped on. */
function build(instance = 'tiny', version = 'v4.7.2') {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'mastodon' });
  const classes = new PriorityClasses(chart, 'priority', { instance, version });
  return { classes, objects: Testing.synth(chart) };
}

describe('alone', () => {
  const { classes, objects } = build();
  const value = (cls: string) => find(objects, 'PriorityClass', cls).value;

  test('three PriorityClasses, <instance>-<tier>, and nothing else', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['PriorityClass/tiny-data', 'PriorityClass/tiny-frontend', 'PriorityClass/tiny-workers']);
    expect(Object.fromEntries(Object.entries(classes.classes).map(([k, v]) => [k, v.name]))).toEqual({ frontend: 'tiny-frontend', data: 'tiny-data', workers: 'tiny-workers' });
    expect(classes.instance).toBe('tiny');
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('three cluster-wide classes, frontend > data > workers; workers never preempt', () => {
    expect(value('tiny-frontend')).toBeGreaterThan(value('tiny-data'));
    expect(value('tiny-data')).toBeGreaterThan(value('tiny-workers'));
    expect(find(objects, 'PriorityClass', 'tiny-workers').preemptionPolicy).toBe('Never');
    expect(find(objects, 'PriorityClass', 'tiny-frontend').globalDefault).toBe(false);
    expect(Object.keys(PRIORITY_TIERS)).toEqual(['frontend', 'data', 'workers']);
  });

  test('cluster-scoped: no namespace, though the chart has one', () => {
    for (const o of objects) expect(o.metadata.namespace).toBeUndefined();
  });

  test('frontend and data preempt, none is the cluster default, each says what it holds', () => {
    for (const tier of ['frontend', 'data'] as const) expect(find(objects, 'PriorityClass', `tiny-${tier}`).preemptionPolicy).toBe('PreemptLowerPriority');
    for (const [tier, t] of Object.entries(PRIORITY_TIERS)) {
      const pc = find(objects, 'PriorityClass', `tiny-${tier}`);
      expect([pc.value, pc.globalDefault, pc.description]).toEqual([t.value, false, t.description]);
    }
  });

  test('the standard labels, the version, and the first Argo CD wave (before any pod names them)', () => {
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'tiny', 'app.kubernetes.io/component': 'priority', 'app.kubernetes.io/version': 'v4.7.2' });
      expect(Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'])).toBeLessThan(0);
    }
  });
});

test('two instances in one cluster get classes apart', () => {
  expect(build('other').objects.map((o) => o.metadata.name).sort()).toEqual(['other-data', 'other-frontend', 'other-workers']);
});
