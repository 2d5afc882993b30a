/**
 * ScheduledRestarts alone in a blank cdk8s Chart: per target a CronJob running
 * `kubectl rollout restart`, with a ServiceAccount whose Role may touch that one Deployment.
 * Whether the restarts fit beside everything else: test/catch-up.test.ts.
 */
import { Testing } from 'cdk8s';
import { restartTargets, ScheduledRestarts } from '../../lib/scheduled-restart';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { RESTARTS_ANNOTATION } from '../../lib/rules/restart-room';
import type { ResolvedConfig } from '../../lib/model';
import { exampleRaw, find, podSpecOf, resolved, withChange } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { stopped, tinyConfig } from './tiny-config';

function build(config: ResolvedConfig) {
  const chart = Testing.chart();
  const restarts = new ScheduledRestarts(chart, 'restarts', { config });
  return { restarts, objects: Testing.synth(chart) };
}
const tinyRestarts = (change: (c: any) => void = () => undefined) => resolveConfigOrThrow(tinyConfig((c) => {
  c.restarts = { web: '0 4 * * *', sidekiq: { all: '20 4 * * *' } };
  change(c);
}));

describe('alone, from the smallest config with two restarts', () => {
  const { restarts, objects } = build(tinyRestarts());

  test('per target a CronJob, ServiceAccount, Role and RoleBinding, all <instance>-restart-<target>', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'CronJob/tiny-restart-sidekiq-all', 'CronJob/tiny-restart-web',
      'Role/tiny-restart-sidekiq-all', 'Role/tiny-restart-web',
      'RoleBinding/tiny-restart-sidekiq-all', 'RoleBinding/tiny-restart-web',
      'ServiceAccount/tiny-restart-sidekiq-all', 'ServiceAccount/tiny-restart-web',
    ]);
    expect(Object.keys(restarts.cronJobs)).toEqual(['web', 'sidekiq-all']);
    expect(find(objects, 'RoleBinding', 'tiny-restart-web').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tiny-restart-web' });
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('each runs on its schedule, in UTC, never overlapping, retried once; not suspended', () => {
    const web = find(objects, 'CronJob', 'tiny-restart-web');
    expect(web.spec).toMatchObject({ schedule: '0 4 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid' });
    expect(web.spec.jobTemplate.spec.backoffLimit).toBe(1);
    expect(web.spec.suspend).toBeFalsy();
    expect(find(objects, 'CronJob', 'tiny-restart-sidekiq-all').spec.schedule).toBe('20 4 * * *');
  });

  test('a kubectl pod: nobody, read-only, HOME on a small emptyDir, small requests, the workers priority, the web pool', () => {
    const spec = podSpecOf(find(objects, 'CronJob', 'tiny-restart-web'));
    const [c] = spec.containers;
    expect(c.image).toBe('docker.io/alpine/k8s:1.30.3');
    expect(c.securityContext).toMatchObject({ runAsUser: 65534, readOnlyRootFilesystem: true });
    expect(c.env).toEqual([{ name: 'HOME', value: '/tmp' }]);
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(c.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
    expect(spec.priorityClassName).toBe('tiny-workers');
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toContainEqual({ key: 'node-pool', operator: 'In', values: ['cloud'] });
  });
});

describe('what the config changes', () => {
  test('no restarts configured: nothing', () => {
    const { restarts, objects } = build(resolveConfigOrThrow(tinyConfig()));
    expect(objects).toEqual([]);
    expect(restarts.cronJobs).toEqual({});
  });

  test('the targets in a stable order: web, streaming, then Sidekiq by process order', () => {
    const c = tinyRestarts((x) => {
      x.sidekiq.processes = [{ name: 'b', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'scheduler'] }, { name: 'a', queues: ['fasp'] }];
      x.restarts = { sidekiq: { a: '5 4 * * *', b: '6 4 * * *' }, streaming: '7 4 * * *', web: '8 4 * * *' };
    });
    expect(restartTargets(c).map((t) => [t.short, t.deployment])).toEqual([
      ['web', 'tiny-web'], ['streaming', 'tiny-streaming'], ['sidekiq-b', 'tiny-sidekiq-b'], ['sidekiq-a', 'tiny-sidekiq-a'],
    ]);
    expect(Object.keys(build(c).restarts.cronJobs)).toEqual(['web', 'streaming', 'sidekiq-b', 'sidekiq-a']);
  });

  test('suspended while the workloads are stopped for maintenance', () => {
    const { objects } = build(tinyRestarts(stopped));
    for (const cj of objects.filter((o) => o.kind === 'CronJob')) expect(cj.spec.suspend).toBe(true);
  });
});

/** The example's config with restarts for web, streaming and one Sidekiq group. */
describe('the example\'s restarts', () => {
  const raw = withChange(exampleRaw(), (c) => { c.restarts = { web: '0 4 * * *', streaming: '10 4 * * *', sidekiq: { push: '20 4 * * *' } }; });
  const objs = build(resolved(raw)).objects;

  test('off by default', () => {
    expect(build(resolved()).objects.filter((o) => o.metadata.name.includes('-restart-'))).toEqual([]);
  });

  test('a CronJob per target running kubectl rollout restart, with a Role that may only get and patch that Deployment', () => {
    for (const [short, deployment] of [['web', 'ocw-web'], ['streaming', 'ocw-streaming'], ['sidekiq-push', 'ocw-sidekiq-push']]) {
      const name = `ocw-restart-${short}`;
      const cj = find(objs, 'CronJob', name);
      const spec = podSpecOf(cj);
      expect(spec.containers[0].command).toEqual(['kubectl', 'rollout', 'restart', `deployment/${deployment}`]);
      expect(spec.serviceAccountName).toBe(name);
      expect(spec.containers[0].image).toBe('docker.io/alpine/k8s:1.30.3');
      expect(cj.metadata.annotations![RESTARTS_ANNOTATION]).toBe(`Deployment/${deployment}`);
      expect(find(objs, 'Role', name).rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: [deployment], verbs: ['get', 'patch'] }]);
      expect(find(objs, 'RoleBinding', name).subjects).toEqual([{ kind: 'ServiceAccount', name }]);
      expect(find(objs, 'ServiceAccount', name).automountServiceAccountToken).toBe(false);
    }
  });

  test('suspended during maintenance with stopped workloads', () => {
    const stoppedObjs = build(resolved(withChange(raw, (c) => { c.maintenance = { enabled: true, stopWorkloads: true }; }))).objects;
    expect(find(stoppedObjs, 'CronJob', 'ocw-restart-web').spec.suspend).toBe(true);
  });
});
