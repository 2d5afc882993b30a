/**
 * CloudflareTunnel on its own, in a blank cdk8s Chart: what its props render. The routes the
 * config generates, their validation and maintenance mode are in test/tunnel.test.ts.
 */
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { CloudflareTunnel, CloudflareTunnelProps, LocallyManagedTunnel } from '../../lib/cloudflare-tunnel';
import { exampleRaw, find, podMetaOf, podSpecOf, render, withChange } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';

const TUNNEL_ID = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
const LOCAL: LocallyManagedTunnel = {
  mode: 'local',
  tunnelId: TUNNEL_ID,
  credentialsSecret: { name: 'ocw-tunnel', key: 'credentials.json' },
  ingress: [
    { hostname: 'ocw.social', path: '^/api/v1/streaming', service: 'http://ocw-streaming:4000' },
    { hostname: 'ocw.social', service: 'http://ocw-web:3000' },
    { service: 'http_status:404' },
  ],
};
const REMOTE = { mode: 'remote', tokenSecret: { name: 'ocw-tunnel-token', key: 'token' } } as const;

/** The construct alone in a blank chart. */
function build(props: Partial<CloudflareTunnelProps> = {}) {
  const chart = Testing.chart();
  const tunnel = new CloudflareTunnel(chart, 'tunnel', { instance: 'ocw', tunnel: LOCAL, ...props });
  return { tunnel, objects: Testing.synth(chart) };
}
const kindsAndNames = (objects: any[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const containerOf = (objects: any[]) => podSpecOf(find(objects, 'Deployment', 'ocw-tunnel')).containers[0];

describe('alone, locally managed: a tunnel id, its credentials and the routes', () => {
  const { tunnel, objects } = build();
  const d = find(objects, 'Deployment', 'ocw-tunnel');
  const spec = podSpecOf(d);
  const c = spec.containers[0];

  test('the connectors, their budget and the generated config', () => {
    expect(kindsAndNames(objects)).toEqual(['ConfigMap/ocw-tunnel', 'Deployment/ocw-tunnel', 'PodDisruptionBudget/ocw-tunnel']);
    expect(tunnel.name).toBe('ocw-tunnel');
    expect(tunnel.configMap?.name).toBe('ocw-tunnel');
    expect(tunnel.budget?.name).toBe('ocw-tunnel');
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('config.yaml: tunnel id, credentials file, metrics on 2000, the routes in the order given', () => {
    expect(parse(find(objects, 'ConfigMap', 'ocw-tunnel').data['config.yaml'])).toEqual({
      'tunnel': TUNNEL_ID,
      'credentials-file': '/etc/cloudflared/creds/credentials.json',
      'metrics': '0.0.0.0:2000',
      'no-autoupdate': true,
      'ingress': LOCAL.ingress,
    });
  });

  test('pinned multi-arch image; args start at tunnel; metrics always on 0.0.0.0:2000; the config file', () => {
    expect(c.image).toMatch(/^docker\.io\/cloudflare\/cloudflared:\d{4}\.\d+\.\d+$/);
    expect(c.args).toEqual(['tunnel', '--metrics', '0.0.0.0:2000', '--protocol', 'auto', '--config', '/etc/cloudflared/config/config.yaml', 'run']);
    expect(c.args).not.toContain('--no-autoupdate');
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: CloudflareTunnel.METRICS_PORT, protocol: 'TCP' }]);
  });

  test('startup, liveness and readiness on /ready at 2000', () => {
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) expect(probe.httpGet).toMatchObject({ path: '/ready', port: 2000 });
  });

  test('uid 65532, read-only root, no capabilities', () => {
    expect(c.securityContext).toMatchObject({ runAsUser: 65532, runAsGroup: 65532, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  test('two replicas spread over nodes on every architecture, any node when no pools are given, a PDB', () => {
    expect(d.spec.replicas).toBe(2);
    const exprs = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(exprs).toEqual([{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }]);
    expect(spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(spec.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(spec.tolerations.map((t: any) => t.tolerationSeconds)).toEqual([30, 30]);
    expect(find(objects, 'PodDisruptionBudget', 'ocw-tunnel').spec.maxUnavailable).toBe(1);
  });

  test('credentials come from the Secret, mounted read-only', () => {
    expect(spec.volumes).toContainEqual({ name: 'credentials', secret: { secretName: 'ocw-tunnel', items: [{ key: 'credentials.json', path: 'credentials.json' }] } });
    expect(c.volumeMounts).toContainEqual({ name: 'credentials', mountPath: '/etc/cloudflared/creds', readOnly: true });
  });

  test('a route change rolls the connectors (a checksum of config.yaml on the pod template)', () => {
    const before = podMetaOf(d).annotations['checksum/config'];
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    const more = build({ tunnel: { ...LOCAL, ingress: [{ hostname: 'status.ocw.social', service: 'http://uptime-kuma.monitoring:3001' }, ...LOCAL.ingress] } });
    expect(podMetaOf(find(more.objects, 'Deployment', 'ocw-tunnel')).annotations['checksum/config']).not.toBe(before);
    expect(podMetaOf(find(build().objects, 'Deployment', 'ocw-tunnel')).annotations['checksum/config']).toBe(before);
  });

  test('the config defaults: what a config that leaves every tunnel field but the mode out renders', () => {
    const fromConfig = render(withChange(exampleRaw(), (x) => { x.tunnel = { mode: 'local', tunnelId: TUNNEL_ID, credentialsSecret: LOCAL.credentialsSecret }; }));
    const configured = find(fromConfig, 'Deployment', 'ocw-tunnel');
    expect(d.spec.replicas).toBe(configured.spec.replicas);
    const cc = podSpecOf(configured).containers[0];
    expect([c.image, c.args, c.resources]).toEqual([cc.image, cc.args, cc.resources]);
    expect(spec.tolerations).toEqual(podSpecOf(configured).tolerations);
  });
});

describe('remotely managed', () => {
  const { tunnel, objects } = build({ tunnel: REMOTE });
  test('TUNNEL_TOKEN from a Secret, no config file', () => {
    const c = containerOf(objects);
    expect(c.env).toEqual([{ name: 'TUNNEL_TOKEN', valueFrom: { secretKeyRef: { name: 'ocw-tunnel-token', key: 'token' } } }]);
    expect(c.args).toEqual(['tunnel', '--metrics', '0.0.0.0:2000', '--protocol', 'auto', 'run']);
    expect(kindsAndNames(objects)).toEqual(['Deployment/ocw-tunnel', 'PodDisruptionBudget/ocw-tunnel']);
    expect(tunnel.configMap).toBeUndefined();
    expect(podMetaOf(find(objects, 'Deployment', 'ocw-tunnel')).annotations?.['checksum/config']).toBeUndefined();
  });
  test('validates strictly', () => {
    expect(new K8sValidator('v1.30.0').validateAll(objects)).toEqual([]);
  });
});

describe('props change what they should', () => {
  test('replicas, protocol, resources, image and PriorityClass', () => {
    const image = { repository: 'registry.example/cloudflared', tag: '2026.1.0', architectures: ['arm64'] as const };
    const { objects } = build({
      replicas: 3, protocol: 'http2', image, priorityClassName: 'ocw-frontend',
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    });
    const d = find(objects, 'Deployment', 'ocw-tunnel');
    const spec = podSpecOf(d);
    expect(d.spec.replicas).toBe(3);
    expect(spec.containers[0].args).toEqual(expect.arrayContaining(['--protocol', 'http2']));
    expect(spec.containers[0].image).toBe('registry.example/cloudflared:2026.1.0');
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(['arm64']);
    expect(spec.priorityClassName).toBe('ocw-frontend');
    expect(d.metadata.labels?.['app.kubernetes.io/version']).toBe('2026.1.0');
  });
  test('pools: allowed in each listed pool equally, under the given label', () => {
    const spec = podSpecOf(find(build({ pools: ['cloud', 'onprem'], poolLabel: 'example.com/pool' }).objects, 'Deployment', 'ocw-tunnel'));
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] },
      { key: 'example.com/pool', operator: 'In', values: ['cloud', 'onprem'] },
    ]);
    expect(spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });
  test('failoverSeconds sets how long pods stay on an unreachable node', () => {
    expect(podSpecOf(find(build({ failoverSeconds: 5 }).objects, 'Deployment', 'ocw-tunnel')).tolerations).toEqual([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
    ]);
  });
});

describe('ingress rules cloudflared would refuse are refused here', () => {
  test('no catch-all at the end', () => {
    expect(() => build({ tunnel: { ...LOCAL, ingress: LOCAL.ingress.slice(0, 2) } }))
      .toThrow(/^CloudflareTunnel ocw-tunnel: 1 invalid prop:\n {2}tunnel.ingress\[1\]: rule 2 \(hostname ocw.social\) is the last rule, so it must be a catch-all/);
  });
  test('a rule that can never match', () => {
    expect(() => build({ tunnel: { ...LOCAL, ingress: [LOCAL.ingress[1], LOCAL.ingress[0], LOCAL.ingress[2]] } }))
      .toThrow(/\n {2}tunnel.ingress\[1\]: rule 2 \(hostname ocw.social, path \^\/api\/v1\/streaming\) can never match: rule 1/);
  });
});

describe('props the config would refuse are refused here too', () => {
  test.each([1, 0])('%d replicas: the tunnel is the only way in', (replicas) => {
    expect(() => build({ replicas })).toThrow(
      `CloudflareTunnel ocw-tunnel: 1 invalid prop:\n  replicas: ${replicas} is too few: the tunnel is the only way in, and one replica is cut off by any node loss or rollout; set at least 2 replicas`);
  });
  test('every problem at once: too few replicas and ingress rules cloudflared refuses', () => {
    expect(() => build({ replicas: 1, tunnel: { ...LOCAL, ingress: LOCAL.ingress.slice(0, 2) } }))
      .toThrow(/^CloudflareTunnel ocw-tunnel: 2 invalid props:\n {2}replicas: 1 is too few.*\n {2}tunnel.ingress\[1\]: rule 2 \(hostname ocw.social\) is the last rule, so it must be a catch-all/);
  });
});
