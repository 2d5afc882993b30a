/**
 * MastodonWeb beside a MastodonEnvironment in a blank cdk8s Chart: what its props render.
 */
import { Testing } from 'cdk8s';
import { MastodonWeb, MastodonWebProps } from '../../lib/mastodon-web';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { MastodonEnvironmentProps } from '../../lib/mastodon-environment';
import { environmentChart } from './mastodon-env';
import { resolveConfig } from '../../lib/config/resolve';
import { tinyConfig } from './tiny-config';

function build(props: Partial<MastodonWebProps> = {}, env?: Partial<MastodonEnvironmentProps>) {
  const { chart, environment } = environmentChart(env);
  const web = new MastodonWeb(chart, 'web', { environment, ...props });
  return { web, objects: Testing.synth(chart) };
}
const envOf = (c: any) => Object.fromEntries(c.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));

describe('alone, with only the environment', () => {
  const { web, objects } = build();
  const d = find(objects, 'Deployment', 'tiny-web');
  const spec = podSpecOf(d);
  const c = spec.containers[0];

  test('a Deployment, its PodDisruptionBudget and a Service, beside the environment', () => {
    expect(objects.filter((o) => o.metadata.name === 'tiny-web').map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
    expect(web.deployment.name).toBe('tiny-web');
    expect(web.budget?.name).toBe('tiny-web');
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the config defaults: 2 replicas of 2 Puma processes × 5 threads, 900Mi requested, 1400Mi limit', () => {
    expect(d.spec.replicas).toBe(2);
    expect(envOf(c)).toMatchObject({ WEB_CONCURRENCY: '2', MAX_THREADS: '5', DB_POOL: '5', BIND: '0.0.0.0', PORT: '3000' });
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '900Mi' }, limits: { memory: '1400Mi' } });
    // No pool: the config's 'cloud' pool is this project's cluster, not every cluster.
    expect(web.settings).toEqual({ replicas: 2, processes: 2, threads: 5, resources: c.resources });
  });

  test('Puma from the Mastodon image, its ENTRYPOINT kept (args), plain variables from the env ConfigMap', () => {
    expect(c.image).toBe('ghcr.io/mastodon/mastodon:v4.7.2');
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(['bundle', 'exec', 'puma', '-C', 'config/puma.rb']);
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'tiny-env' } }]);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
  });

  test('a patient startup probe, ready on /health, alive while the port answers, drained before it stops', () => {
    expect(c.startupProbe.httpGet).toMatchObject({ path: '/health', port: 3000 });
    // Rails boots slowly on a small node: three minutes before the kubelet gives up.
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(180);
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/health', port: 3000 });
    expect(c.livenessProbe.tcpSocket).toMatchObject({ port: 3000 });
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', String(MastodonWeb.DRAIN_SECONDS)] } } });
    expect(spec.terminationGracePeriodSeconds).toBe(MastodonWeb.DRAIN_SECONDS + 30);
  });

  test('a rolling update that never drops below the replica count, spread hard over nodes in the pool', () => {
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    // Never two replicas on one node while another node can take one.
    expect(spec.topologySpreadConstraints).toEqual([{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'mastodon', 'app.kubernetes.io/instance': 'tiny', 'app.kubernetes.io/component': 'web' } },
      matchLabelKeys: ['pod-template-hash'],
    }]);
    // Any node of the image's architectures: no pool term unless a pool is given.
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual(
      [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }]);
    expect(spec.priorityClassName).toBeUndefined();
  });

  test('a PodDisruptionBudget that keeps one pod up', () => {
    expect(find(objects, 'PodDisruptionBudget', 'tiny-web').spec).toEqual({ maxUnavailable: 1, selector: d.spec.selector });
  });

  test('leaves a lost node after the environment\'s failoverSeconds, not 300 s', () => {
    expect(spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
  });

  test('the Service selects the pods on port 3000; url names it for a tunnel rule', () => {
    const svc = find(objects, 'Service', 'tiny-web');
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 3000 })]);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(v);
    expect(web.url).toBe('http://tiny-web:3000');
  });
});

describe('props change what they should', () => {
  test('replicas, processes, threads, pool and resources', () => {
    const { web, objects } = build({
      replicas: 4, processes: 3, threads: 8, pool: 'onprem',
      resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } },
    });
    const d = find(objects, 'Deployment', 'tiny-web');
    const c = podSpecOf(d).containers[0];
    expect(d.spec.replicas).toBe(4);
    expect(envOf(c)).toMatchObject({ WEB_CONCURRENCY: '3', MAX_THREADS: '8', DB_POOL: '8' });
    expect(c.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } });
    expect(podSpecOf(d).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toContainEqual(
      { key: 'node-pool', operator: 'In', values: ['onprem'] });
    expect(web.settings.replicas).toBe(4);
  });
  test('a setting left out is the environment\'s `web` default', () => {
    const web = { replicas: 3, processes: 4, threads: 5, pool: 'cloud', resources: { requests: { cpu: '250m', memory: '900Mi' }, limits: { memory: '1400Mi' } } };
    const { objects } = build({ threads: 3 }, { workloadDefaults: { web } });
    const d = find(objects, 'Deployment', 'tiny-web');
    expect(d.spec.replicas).toBe(3);
    expect(envOf(podSpecOf(d).containers[0])).toMatchObject({ WEB_CONCURRENCY: '4', MAX_THREADS: '3' });
  });
  test('one replica: no PodDisruptionBudget (it could never allow an eviction)', () => {
    const { web, objects } = build({ replicas: 1 });
    expect(web.budget).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'tiny-web')).toEqual([]);
  });
});

describe('what the environment decides', () => {
  test('monitoring on: an exporter Deployment and Service, and Puma told where to send its metrics', () => {
    const { web, objects } = build({}, { monitoring: true });
    expect(web.metrics?.host).toBe('tiny-web-metrics');
    expect(objects.filter((o) => o.metadata.name === 'tiny-web-metrics').map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
    expect(envOf(podSpecOf(find(objects, 'Deployment', 'tiny-web')).containers[0])).toMatchObject(
      { MASTODON_PROMETHEUS_EXPORTER_ENABLED: 'true', PROMETHEUS_EXPORTER_HOST: 'tiny-web-metrics' });
    for (const version of K8S_VERSIONS) expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });
  test('monitoring off (the default): no exporter and no exporter variables', () => {
    const { web, objects } = build();
    expect(web.metrics).toBeUndefined();
    expect(Object.keys(envOf(podSpecOf(find(objects, 'Deployment', 'tiny-web')).containers[0])).filter((k) => /PROMETHEUS/.test(k))).toEqual([]);
  });
  test('stopWorkloads: no pods, and no budget that could block a drain', () => {
    const { web, objects } = build({}, { stopWorkloads: true });
    expect(find(objects, 'Deployment', 'tiny-web').spec.replicas).toBe(0);
    expect(web.budget).toBeUndefined();
  });
  test('the image of the environment\'s version, and its pool label (for a pool given) and failover time', () => {
    const { objects } = build({ pool: 'cloud' }, { version: 'v4.5.0', poolLabel: 'example.com/pool', failoverSeconds: 60 });
    const spec = podSpecOf(find(objects, 'Deployment', 'tiny-web'));
    expect(spec.containers[0].image).toBe('ghcr.io/mastodon/mastodon:v4.5.0');
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toContainEqual(
      { key: 'example.com/pool', operator: 'In', values: ['cloud'] });
    expect(spec.tolerations.map((t: any) => t.tolerationSeconds)).toEqual([60, 60]);
  });
});

describe('refused props: the config\'s refusals, every problem in one error', () => {
  const errorOf = (props: Partial<MastodonWebProps>) => {
    try { build(props); } catch (e) { return (e as Error).message; }
    throw new Error('MastodonWeb accepted the props');
  };

  test('a memory request below the 700Mi floor, a limit below the request, processes 1.5 and threads 0: one error, each line <prop path>: <problem>; <fix>', () => {
    const msg = errorOf({ threads: 0, processes: 1.5, resources: { requests: { cpu: '100m', memory: '300Mi' }, limits: { memory: '200Mi' } } });
    expect(msg.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^ {2}processes: is 1\.5, not a whole number from 1 to 16; set /),
      expect.stringMatching(/^ {2}threads: is 0, not a whole number from 1 to 32; set /),
      expect.stringMatching(/^ {2}resources\.requests\.memory: 300Mi is below the 700Mi floor: .*; request at least 700Mi$/),
      expect.stringMatching(/^ {2}resources\.limits\.memory: the limit 200Mi is below the request 300Mi; .*raise the limit/),
    ]);
  });

  test('a 300Mi limit under the default 900Mi request, and 0 replicas', () => {
    const msg = errorOf({ replicas: 0, resources: { requests: { cpu: '250m', memory: '900Mi' }, limits: { memory: '300Mi' } } });
    expect(msg).toMatch(/\n {2}replicas: is 0/);
    expect(msg).toMatch(/\n {2}resources\.limits\.memory: the limit 300Mi is below the request 900Mi/);
  });

  test('word for word the config\'s refusal: one rule (lib/rules/mastodon-checks.ts) for both', () => {
    const resources = { requests: { cpu: '250m', memory: '300Mi' }, limits: { memory: '300Mi' } };
    const r = resolveConfig(tinyConfig((c) => { c.web = { resources }; }));
    const fromConfig = r.ok ? undefined : r.errors.find((e) => e.path === 'web.resources.requests.memory')?.message;
    expect(fromConfig).toMatch(/below the 700Mi floor/);
    expect(errorOf({ resources })).toContain(`\n  resources.requests.memory: ${fromConfig}`);
  });

  test('the floor itself is accepted', () => {
    expect(() => build({ resources: { requests: { cpu: '250m', memory: '700Mi' }, limits: { memory: '700Mi' } } })).not.toThrow();
  });
});
