/**
 * MastodonStreaming beside a MastodonEnvironment in a blank cdk8s Chart: what its props render.
 */
import { Testing } from 'cdk8s';
import { MastodonStreaming, MastodonStreamingProps } from '../../lib/mastodon-streaming';
import type { MastodonEnvironmentProps } from '../../lib/mastodon-environment';
import { STREAMING_DEFAULTS } from '../../lib/model/defaults';
import { externalConnection } from '../../lib/rules/database';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { environmentChart, TINY_DATABASE } from './mastodon-env';

function build(props: Partial<MastodonStreamingProps> = {}, environmentProps?: Partial<MastodonEnvironmentProps>) {
  const { chart, environment } = environmentChart(environmentProps);
  const streaming = new MastodonStreaming(chart, 'streaming', { environment, ...props });
  return { streaming, objects: Testing.synth(chart) };
}
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
/** An existing database whose certificate a CA of its own signed. */
const withCa: Partial<MastodonEnvironmentProps> = { database: { ...TINY_DATABASE, caSecret: { name: 'tiny-db-ca', key: 'ca.crt' } } };

describe('alone, with only the environment', () => {
  const { streaming, objects } = build();
  const st = find(objects, 'Deployment', 'tiny-streaming');
  const pod = podSpecOf(st);
  const c = pod.containers[0];

  test('a Deployment, its PodDisruptionBudget and a Service, beside the environment', () => {
    expect(objects.filter((o) => o.metadata.name === 'tiny-streaming').map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
    expect(streaming.deployment.name).toBe('tiny-streaming');
    expect(streaming.service.name).toBe('tiny-streaming');
    expect(streaming.budget?.name).toBe('tiny-streaming');
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('separate image, port 4000, health probes, DB_POOL, no STREAMING_CLUSTER_NUM', () => {
    expect(c.image).toBe('ghcr.io/mastodon/mastodon-streaming:v4.7.2');
    expect(c.ports[0].containerPort).toBe(4000);
    for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect(p.httpGet).toMatchObject({ path: '/api/v1/streaming/health', port: 4000 });
    const env = envOf(c);
    expect(env.DB_POOL).toBe('10');
    expect(env.STREAMING_CLUSTER_NUM).toBeUndefined();
    expect(find(objects, 'ConfigMap', 'tiny-env').data.STREAMING_CLUSTER_NUM).toBeUndefined();
  });

  test('two replicas with a PDB', () => {
    expect(st.spec.replicas).toBe(2);
    expect(find(objects, 'PodDisruptionBudget', 'tiny-streaming').spec.maxUnavailable).toBe(1);
  });

  test('a ClusterIP Service on 4000 that selects the streaming pods', () => {
    const svc = find(objects, 'Service', 'tiny-streaming');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'streaming', port: 4000, targetPort: 'streaming', protocol: 'TCP' }]);
    expect(Object.entries(svc.spec.selector).every(([k, v]) => st.spec.template.metadata.labels[k] === v)).toBe(true);
    expect(svc.spec.selector['app.kubernetes.io/component']).toBe('streaming');
  });

  test('the streaming server gets only the database password, not the Rails keys', () => {
    const env = envOf(c);
    expect(env.DB_PASS).toEqual({ secretKeyRef: { name: 'tiny-db', key: 'password' } });
    expect(env.SECRET_KEY_BASE).toBeUndefined();
    expect(env.OTP_SECRET).toBeUndefined();
  });

  test('spread hard over nodes; alone, no PriorityClass and no pool term', () => {
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(pod.priorityClassName).toBe(undefined);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .not.toContainEqual(expect.objectContaining({ key: 'node-pool' }));
  });
});

/**
 * Streaming shutdown. Mastodon's streaming/index.js answers SIGTERM with `server.close()` and
 * `process.exit(0)` at once: every WebSocket drops and the port closes while the pod may still
 * be in the Service's endpoints (their removal races the SIGTERM), so new connections in that
 * window are refused. A preStop sleep keeps the old pod serving until the endpoint is gone.
 */
describe('streaming-shutdown: a preStop sleep keeps the old pod serving', () => {
  // With a database CA, as the example's CloudNativePG database has: args copy the CA first.
  const pod = podSpecOf(find(build({}, withCa).objects, 'Deployment', 'tiny-streaming'));
  const c = pod.containers[0];

  test('streaming sleeps in preStop before node gets SIGTERM', () => {
    expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', String(MastodonStreaming.DRAIN_SECONDS)]);
    expect(MastodonStreaming.DRAIN_SECONDS).toBeGreaterThanOrEqual(5);
  });

  test('the grace period covers the sleep and the exit', () => {
    // The preStop hook counts against terminationGracePeriodSeconds.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(MastodonStreaming.DRAIN_SECONDS + 5);
  });

  test('no command; args, when set (database CA copy), end by exec-ing the image CMD so node itself gets SIGTERM', () => {
    expect(c.command).toBeUndefined();
    expect(c.args.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.args[2].trim().split('\n').pop()).toBe('exec node ./streaming/index.js');
    // Without a CA there is nothing to copy: the image's own CMD runs.
    expect(podSpecOf(find(build().objects, 'Deployment', 'tiny-streaming')).containers[0].args).toBeUndefined();
  });

  test('liveness with a database CA also reloads a renewed CA, and still asks the health endpoint', () => {
    expect(c.livenessProbe.exec.command[2]).toContain('curl -fsS -o /dev/null -m 4 http://127.0.0.1:4000/api/v1/streaming/health');
    expect(envOf(c).NODE_EXTRA_CA_CERTS).toBeDefined();
  });

  test('a renewed CA is loaded without anyone: the process trusts a copy made at start, and liveness fails when the mount changed', () => {
    // Node reads NODE_EXTRA_CA_CERTS once; CNPG renews its 90-day CA 7 days before expiry.
    // A subPath mount would never be updated by the kubelet.
    const mount = c.volumeMounts.find((m: any) => m.mountPath === '/etc/mastodon/postgres-ca');
    expect(mount).toMatchObject({ readOnly: true });
    expect(mount.subPath).toBeUndefined();
    expect(pod.volumes.find((v: any) => v.name === mount.name).secret).toEqual({ secretName: 'tiny-db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 });
    expect(c.env.find((e: any) => e.name === 'NODE_EXTRA_CA_CERTS')?.value).toBe('/tmp/postgres-ca/ca.crt');
    // args, not command: the image's entrypoint stays; the copy, then Mastodon's own CMD.
    expect(c.command).toBeUndefined();
    expect(c.args[0]).toBe('sh');
    expect(c.args[2]).toMatch(/cp \/etc\/mastodon\/postgres-ca\/ca\.crt \/tmp\/postgres-ca\/ca\.crt\.tmp[\s\S]*exec node \.\/streaming\/index\.js$/);
    const probe = c.livenessProbe.exec.command[2];
    expect(probe).toContain('cmp -s /etc/mastodon/postgres-ca/ca.crt /tmp/postgres-ca/ca.crt');
    expect(probe).toContain('% 900 ))');
    // The streaming pods run spread over nodes: restarts spread over 15 minutes keep one serving.
    expect(find(build({}, withCa).objects, 'Deployment', 'tiny-streaming').spec.replicas).toBeGreaterThan(1);
  });

  test('without a database CA (external database with sslMode disable) streaming runs the image as it is, with the HTTP liveness probe', () => {
    const o = build({}, { database: externalConnection({
      mode: 'external', host: 'db.example.net', port: 5432, name: 'mastodon', user: 'mastodon', pooled: true, passwordSecret: { name: 'db', key: 'password' }, sslMode: 'disable',
      caSecret: { name: 'db-ca', key: 'ca.crt' },
    }) }).objects;
    const nc = podSpecOf(find(o, 'Deployment', 'tiny-streaming')).containers[0];
    expect(nc.args).toBeUndefined();
    expect(nc.livenessProbe.httpGet).toMatchObject({ path: '/api/v1/streaming/health', port: 4000 });
    expect((nc.env ?? []).map((e: any) => e.name)).not.toContain('NODE_EXTRA_CA_CERTS');
  });
});

describe('props change what they should', () => {
  test('streaming: replicas, pool, dbPool and resources', () => {
    const { streaming, objects } = build({ streaming: {
      replicas: 1, pool: 'onprem', dbPool: 4, resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '400Mi' } },
    } });
    const d = find(objects, 'Deployment', 'tiny-streaming');
    const c = podSpecOf(d).containers[0];
    expect(d.spec.replicas).toBe(1);
    expect(envOf(c).DB_POOL).toBe('4');
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '400Mi' } });
    expect(podSpecOf(d).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toContainEqual({ key: 'node-pool', operator: 'In', values: ['onprem'] });
    // One pod: no PodDisruptionBudget (it could never allow an eviction).
    expect(streaming.budget).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'tiny-streaming')).toEqual([]);
  });
  test('the environment\'s workload defaults are the default', () => {
    const d = find(build({}, { workloadDefaults: { streaming: { ...STREAMING_DEFAULTS, pool: 'cloud', replicas: 3, dbPool: 7 } } }).objects, 'Deployment', 'tiny-streaming');
    expect(d.spec.replicas).toBe(3);
    expect(envOf(podSpecOf(d).containers[0]).DB_POOL).toBe('7');
  });
  test('maintenance.stopWorkloads scales it to 0', () => {
    const d = find(build({}, { stopWorkloads: true }).objects, 'Deployment', 'tiny-streaming');
    expect(d.spec.replicas).toBe(0);
  });
});
