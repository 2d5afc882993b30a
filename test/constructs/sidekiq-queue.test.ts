/**
 * SidekiqQueue beside a MastodonEnvironment in a blank cdk8s Chart: what its props render.
 */
import { Testing } from 'cdk8s';
import { SIDEKIQ_READY_FILE, SIDEKIQ_READY_FILENAME, SidekiqQueue, SidekiqQueueProps } from '../../lib/sidekiq-queue';
import { MAX_REPLICAS_ANNOTATION } from '../../lib/rules/sidekiq-scaling';
import { SIDEKIQ_PROCESS_LABEL } from '../../lib/conventions/labels';
import { find, podSpecOf, resolved } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { MastodonEnvironmentProps } from '../../lib/mastodon-environment';
import { environmentChart } from './mastodon-env';
import { resolveConfig } from '../../lib/config/resolve';
import { tinyConfig } from './tiny-config';

const QUEUES = ['default', 'push', 'pull'];

function build(props: Partial<SidekiqQueueProps> = {}, env?: Partial<MastodonEnvironmentProps>) {
  const { chart, environment } = environmentChart(env);
  const queue = new SidekiqQueue(chart, 'sidekiq', { environment, name: 'main', queues: QUEUES, ...props });
  return { queue, objects: Testing.synth(chart) };
}
const envOf = (c: any) => Object.fromEntries(c.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
const deploymentOf = (objects: any[], name = 'tiny-sidekiq-main') => find(objects, 'Deployment', name);

describe('alone, with a name and its queues', () => {
  const { queue, objects } = build();
  const d = deploymentOf(objects);
  const spec = podSpecOf(d);
  const c = spec.containers[0];

  test('one Deployment, named after the group', () => {
    expect(objects.filter((o) => /sidekiq/.test(o.metadata.name)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/tiny-sidekiq-main']);
    expect(queue.deployment.name).toBe('tiny-sidekiq-main');
    expect(queue.budget).toBeUndefined();
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the config defaults: one pod, 10 threads (and DB_POOL), 640Mi requested, 1Gi limit, any node (no pool term, no PriorityClass)', () => {
    expect(d.spec.replicas).toBe(1);
    expect(envOf(c)).toMatchObject({ DB_POOL: '10', MASTODON_SIDEKIQ_READY_FILENAME: SIDEKIQ_READY_FILENAME });
    expect(c.resources).toEqual({ requests: { cpu: '200m', memory: '640Mi' }, limits: { memory: '1Gi' } });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).not.toContainEqual(
      expect.objectContaining({ key: 'node-pool' }));
    expect(spec.priorityClassName).toBeUndefined();
    expect(queue.process).toMatchObject({ name: 'main', replicas: 1, concurrency: 10, queues: QUEUES, servesScheduler: false });
    expect(queue.process.pool).toBeUndefined();
  });

  test('the queues in strict order (no weights), a shutdown timeout, a stale ready file removed first, under the image entrypoint', () => {
    // A restarted container keeps tmp/ (an emptyDir): without the rm it would be ready before Sidekiq is.
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(['sh', '-c', `rm -f tmp/${SIDEKIQ_READY_FILENAME}; exec bundle exec sidekiq -c 10 -t 25 -q default -q push -q pull`]);
    // The relative path is only right in Rails.root, so the working directory is stated.
    expect(c.workingDir).toBe('/opt/mastodon');
    expect(spec.terminationGracePeriodSeconds).toBe(25 + 15);
  });

  test('ready while the file Mastodon touches once Sidekiq takes jobs exists; no liveness probe (the file exists from start to shutdown)', () => {
    expect(SIDEKIQ_READY_FILE).toBe(`/opt/mastodon/tmp/${SIDEKIQ_READY_FILENAME}`);
    expect(c.startupProbe.exec.command).toEqual(['test', '-f', SIDEKIQ_READY_FILE]);
    expect(c.readinessProbe.exec.command).toEqual(['test', '-f', SIDEKIQ_READY_FILE]);
    expect(c.livenessProbe).toBeUndefined();
  });

  test('a rolling update, spread softly over nodes', () => {
    expect(d.spec.strategy.type).toBe('RollingUpdate');
    expect(spec.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
  });

  test('process groups are told apart by a label in their selector', () => {
    expect(d.spec.selector.matchLabels[SIDEKIQ_PROCESS_LABEL]).toBe('main');
  });
});

describe('props change what they should', () => {
  test('replicas, concurrency, resources; a PodDisruptionBudget from two pods', () => {
    const { queue, objects } = build({ replicas: 3, concurrency: 25, resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } } });
    const d = deploymentOf(objects);
    const c = podSpecOf(d).containers[0];
    expect(d.spec.replicas).toBe(3);
    expect(c.args[2]).toMatch(/exec bundle exec sidekiq -c 25 /);
    expect(envOf(c).DB_POOL).toBe('25');
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } });
    expect(queue.budget?.name).toBe('tiny-sidekiq-main');
  });
  test('a fallback pool: required in either pool, preferred in the first', () => {
    const a = podSpecOf(deploymentOf(build({ pool: 'onprem', fallbackPool: 'cloud' }).objects)).affinity.nodeAffinity;
    expect(a.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toContainEqual({ key: 'node-pool', operator: 'In', values: ['onprem', 'cloud'] });
    expect(a.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{ weight: 100, preference: { matchExpressions: [{ key: 'node-pool', operator: 'In', values: ['onprem'] }] } }]);
  });
  test('scaling: the least pods as replicas, the most in an annotation the planner reads, and a PDB', () => {
    const { queue, objects } = build({ scaling: { maxReplicas: 6 } });
    const d = deploymentOf(objects);
    expect(d.spec.replicas).toBe(1);
    expect(d.metadata.annotations?.[MAX_REPLICAS_ANNOTATION]).toBe('6');
    expect(queue.budget?.name).toBe('tiny-sidekiq-main');
  });
  test('the scheduler group: one pod, replaced with Recreate so two schedulers never overlap', () => {
    const { queue, objects } = build({ name: 'sched', queues: ['scheduler', 'mailers'] });
    const d = deploymentOf(objects, 'tiny-sidekiq-sched');
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.replicas).toBe(1);
    expect(queue.process.servesScheduler).toBe(true);
    expect(queue.budget).toBeUndefined();
  });
  test('a scheduler group with more pods, or scaling, is refused', () => {
    expect(() => build({ queues: ['scheduler'], replicas: 2 })).toThrow(/^SidekiqQueue main: invalid props:\n {2}replicas: it serves 'scheduler', which must run in exactly one pod/);
    expect(() => build({ queues: ['scheduler'], scaling: { maxReplicas: 3 } })).toThrow(/\n {2}scaling: it serves 'scheduler', which must run in exactly one pod/);
  });
});

test('a resolved process spread into the props is the process the construct runs (how MastodonChart passes them)', () => {
  const { chart, environment } = environmentChart();
  for (const p of resolved().sidekiq.processes) {
    expect(new SidekiqQueue(chart, `Sidekiq-${p.name}`, { environment, ...p }).process).toEqual(p);
  }
});

describe('what the environment decides', () => {
  test('monitoring on: the in-process exporter on a named port, and its variables', () => {
    const { objects } = build({}, { monitoring: true });
    const c = podSpecOf(deploymentOf(objects)).containers[0];
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9394, protocol: 'TCP' }]);
    expect(envOf(c)).toMatchObject({ MASTODON_PROMETHEUS_EXPORTER_ENABLED: 'true', MASTODON_PROMETHEUS_EXPORTER_LOCAL: 'true' });
    for (const version of K8S_VERSIONS) expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });
  test('KEDA owns the count of a scalable group: no spec.replicas', () => {
    const keda = { operatorNamespace: 'keda', operatorPodLabels: { app: 'keda-operator' }, pollingSeconds: 30 };
    const d = deploymentOf(build({ scaling: { maxReplicas: 4 } }, { workloadDefaults: { sidekiq: { catchUp: false, keda } } }).objects);
    expect(d.spec.replicas).toBeUndefined();
    expect(d.metadata.annotations?.[MAX_REPLICAS_ANNOTATION]).toBe('4');
  });
  test('catch-up runs a scalable group at its maximum', () => {
    const d = deploymentOf(build({ scaling: { maxReplicas: 4 } }, { workloadDefaults: { sidekiq: { catchUp: true } } }).objects);
    expect(d.spec.replicas).toBe(4);
  });
  test('stopWorkloads: no pods', () => {
    expect(deploymentOf(build({}, { stopWorkloads: true }).objects).spec.replicas).toBe(0);
  });
});

describe('refused props: the config\'s refusals, every problem in one error', () => {
  const errorOf = (props: Partial<SidekiqQueueProps>) => {
    try { build(props); } catch (e) { return (e as Error).message; }
    throw new Error('SidekiqQueue accepted the props');
  };

  test('unknown queue names, memory below the 512Mi floor, concurrency 0: one error naming each prop path', () => {
    const msg = errorOf({ queues: ['defualt', 'mailer', 'push'], concurrency: 0, resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } } });
    expect(msg.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^ {2}queues\[0\]: 'defualt' is not a Mastodon queue \(.*\); fix the name, or declare it under customQueues/),
      expect.stringMatching(/^ {2}queues\[1\]: 'mailer' is not a Mastodon queue/),
      expect.stringMatching(/^ {2}concurrency: is 0, not a whole number from 1 to 100; /),
      expect.stringMatching(/^ {2}resources\.requests\.memory: 256Mi is below the 512Mi floor: .*; request at least 512Mi$/),
    ]);
  });

  test('replicas 0 is refused; a queue a fork declares in customQueues is accepted', () => {
    expect(errorOf({ replicas: 0 })).toMatch(/\n {2}replicas: is 0/);
    expect(() => build({ queues: ['default', 'translations'], customQueues: ['translations'] })).not.toThrow();
  });

  test('word for word the config\'s refusals: one rule for both (the custom queues\' path aside)', () => {
    const resources = { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } };
    // Two configs: the resolver checks the queue layout only once everything else is valid.
    const fromConfig = (path: string) => {
      const r = resolveConfig(tinyConfig((c) => { if (path.includes('resources')) c.sidekiq.processes[0].resources = resources; else c.sidekiq.processes[0].queues[0] = 'defualt'; }));
      return r.ok ? undefined : r.errors.find((e) => e.path === path)?.message;
    };
    const msg = errorOf({ resources, queues: ['defualt'] });
    expect(fromConfig('sidekiq.processes[0].resources.requests.memory')).toMatch(/below the 512Mi floor/);
    expect(msg).toContain(`\n  resources.requests.memory: ${fromConfig('sidekiq.processes[0].resources.requests.memory')}`);
    expect(msg).toContain(`\n  queues[0]: ${fromConfig('sidekiq.processes[0].queues[0]')!.replace('sidekiq.customQueues', 'customQueues')}`);
  });

  test('no queues (the pod would read the image\'s sidekiq.yml and run a second scheduler), a queue listed twice, a custom queue name that is not a DNS label of at most 40', () => {
    expect(errorOf({ queues: [] })).toMatch(/\n {2}queues: is empty, so Sidekiq would start without -q and serve the image's config\/sidekiq\.yml, scheduler included; list the queues this process serves/);
    expect(errorOf({ queues: ['default', 'push', 'default'] })).toMatch(/\n {2}queues\[2\]: 'default' appears twice in process 'main'; list each queue once per process/);
    const msg = errorOf({ queues: ['default'], customQueues: ['Translations', 'x'.repeat(41), ''] });
    expect(msg).toMatch(/\n {2}customQueues\[0\]: a custom queue name must be a DNS label: /);
    expect(msg).toMatch(/\n {2}customQueues\[1\]: a custom queue name is longer than 40 characters/);
    expect(msg).toMatch(/\n {2}customQueues\[2\]: a custom queue name must not be empty/);
  });

  test('the config refuses the same custom queue names and repeated queues, word for word', () => {
    const r = resolveConfig(tinyConfig((c) => { c.sidekiq.customQueues = ['Translations']; }));
    const fromConfig = r.ok ? undefined : r.errors.find((e) => e.path === 'sidekiq.customQueues[0]')?.message;
    expect(fromConfig).toMatch(/must be a DNS label/);
    expect(errorOf({ queues: ['default'], customQueues: ['Translations'] })).toContain(`\n  customQueues[0]: ${fromConfig}`);
    const twice = resolveConfig(tinyConfig((c) => { c.sidekiq.processes[0].queues.push(c.sidekiq.processes[0].queues[0]); }));
    expect(twice.ok ? [] : twice.errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/appears twice in process/));
  });

  test('a fallbackPool without a pool to fall back from is refused', () => {
    expect(errorOf({ fallbackPool: 'cloud' })).toMatch(/\n {2}fallbackPool: is 'cloud' without a pool to fall back from/);
  });
});
