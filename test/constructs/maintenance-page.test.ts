/**
 * MaintenancePage alone in a blank cdk8s Chart: what its props render. Its texts are the
 * `maintenance:` defaults of the smallest config. (The nginx config is run for real in
 * test/integration.)
 */
import { Testing } from 'cdk8s';
import {
  MAINTENANCE_ROOT, MaintenancePage, MaintenancePageProps, maintenanceHtml, maintenanceJson, maintenanceNginxConf, NGINX_UID,
} from '../../lib/maintenance-page';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { find, podMetaOf, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { tinyConfig } from './tiny-config';

const config = resolveConfigOrThrow(tinyConfig());
function build(props: Partial<MaintenancePageProps> = {}) {
  const chart = Testing.chart();
  const page = new MaintenancePage(chart, 'maintenance', {
    instance: 'tiny', maintenance: config.maintenance, poolLabel: config.nodes.poolLabel, pools: ['cloud'], image: config.images.maintenance, ...props,
  });
  return { page, objects: Testing.synth(chart) };
}

describe('alone, with the config defaults', () => {
  const { page, objects } = build();
  const d = find(objects, 'Deployment', 'tiny-maintenance');
  const spec = podSpecOf(d);
  const c = spec.containers[0];

  test('a ConfigMap, a Deployment, its PodDisruptionBudget and a Service, all <instance>-maintenance', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/tiny-maintenance', 'Deployment/tiny-maintenance', 'PodDisruptionBudget/tiny-maintenance', 'Service/tiny-maintenance',
    ]);
    expect(page.deployment.name).toBe('tiny-maintenance');
    expect(page.service.name).toBe('tiny-maintenance');
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('an unprivileged nginx, two replicas, small requests, multi-arch, page and config from ConfigMaps', () => {
    expect(d.spec.replicas).toBe(2);
    expect(c.image).toBe('docker.io/nginxinc/nginx-unprivileged:1.29.4-alpine');
    expect(c.securityContext).toMatchObject({ runAsUser: 101, readOnlyRootFilesystem: true });
    expect(NGINX_UID).toBe(101);
    expect(c.resources.requests).toEqual({ cpu: '10m', memory: '16Mi' });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(['amd64', 'arm64']);
    const cm = find(objects, 'ConfigMap', 'tiny-maintenance');
    expect(cm.data['index.html']).toMatch(/<h1>Down for maintenance<\/h1>/);
    expect(JSON.parse(cm.data['error.json'])).toEqual({ error: 'Down for maintenance' });
    expect(find(objects, 'Service', 'tiny-maintenance').spec.ports[0].port).toBe(8080);
  });

  test('the ConfigMap holds exactly the three files, mounted read-only where nginx reads them', () => {
    const cm = find(objects, 'ConfigMap', 'tiny-maintenance');
    expect(cm.data).toEqual({
      'nginx.conf': maintenanceNginxConf(config.maintenance),
      'index.html': maintenanceHtml(config.maintenance),
      'error.json': maintenanceJson(config.maintenance),
    });
    expect(c.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true },
      { name: 'config', mountPath: `${MAINTENANCE_ROOT}/index.html`, subPath: 'index.html', readOnly: true },
      { name: 'config', mountPath: `${MAINTENANCE_ROOT}/error.json`, subPath: 'error.json', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(spec.volumes[0]).toEqual({ name: 'config', configMap: { name: 'tiny-maintenance' } });
  });

  test('probes on a port of their own that the Service does not expose', () => {
    for (const p of [c.readinessProbe, c.livenessProbe]) expect(p.httpGet).toMatchObject({ path: '/healthz', port: 8081 });
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([8080, 8081]);
    expect(find(objects, 'Service', 'tiny-maintenance').spec.ports.map((p: any) => p.port)).toEqual([8080]);
  });

  test('spread hard over nodes in the given pools; no priority class unless given', () => {
    expect(spec.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toContainEqual({ key: 'node-pool', operator: 'In', values: ['cloud'] });
    expect(spec.priorityClassName).toBeUndefined();
  });
});

describe('what the page says', () => {
  test('503 with Retry-After on every path, /healthz for probes', () => {
    const conf = maintenanceNginxConf({ enabled: true, stopWorkloads: false, retryAfterSeconds: 600, title: 't', message: 'm' });
    expect(conf).toMatch(/location \/ \{ return 503; \}/);
    // The pages sit behind an internal prefix; asking for it (404) is answered with the 503 page.
    expect(conf).toMatch(/error_page 503 \/_maintenance\/\$maintenance_page;/);
    expect(conf).toMatch(/error_page 404 =503 \/_maintenance\/\$maintenance_page;/);
    expect(conf).not.toMatch(/location = \/index.html/);
    expect(conf).toMatch(/add_header Retry-After "600" always;/);
    expect(conf).toMatch(/pid \/tmp\/nginx.pid;/);
  });

  test('the title is escaped, the message is HTML', () => {
    const { objects } = build({ maintenance: { ...config.maintenance, enabled: true, title: 'Moving <house>', message: '<p>Back at <b>10:00 UTC</b></p>' } });
    const html = find(objects, 'ConfigMap', 'tiny-maintenance').data['index.html'];
    expect(html).toMatch(/<h1>Moving &lt;house&gt;<\/h1>/);
    expect(html).toMatch(/<p>Back at <b>10:00 UTC<\/b><\/p>/);
    expect(JSON.parse(find(objects, 'ConfigMap', 'tiny-maintenance').data['error.json'])).toEqual({ error: 'Moving <house>' });
  });

  test('a changed text rolls the pods (a checksum of the files in the pod template)', () => {
    const checksum = (objects: any[]) => podMetaOf(find(objects, 'Deployment', 'tiny-maintenance')).annotations['checksum/config'];
    const before = checksum(build().objects);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(build().objects)).toBe(before);
    expect(checksum(build({ maintenance: { ...config.maintenance, retryAfterSeconds: 60 } }).objects)).not.toBe(before);
  });
});

describe('props change what they should', () => {
  test('pools, image architectures and priority class', () => {
    const { objects } = build({
      pools: ['cloud', 'onprem'], priorityClassName: 'tiny-frontend',
      image: { ...config.images.maintenance, architectures: ['arm64'] },
    });
    const spec = podSpecOf(find(objects, 'Deployment', 'tiny-maintenance'));
    const exprs = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(exprs).toContainEqual({ key: 'node-pool', operator: 'In', values: ['cloud', 'onprem'] });
    expect(exprs).toContainEqual({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] });
    expect(spec.priorityClassName).toBe('tiny-frontend');
  });
});
