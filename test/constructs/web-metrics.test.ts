/**
 * WebMetrics beside a MastodonEnvironment in a blank cdk8s Chart, alone and as the MastodonWeb
 * with monitoring on makes it. (Web's own side, PROMETHEUS_EXPORTER_HOST: test/monitoring.test.ts.)
 */
import { Testing } from 'cdk8s';
import { MastodonWeb } from '../../lib/mastodon-web';
import { WebMetrics, WebMetricsProps } from '../../lib/web-metrics';
import type { MastodonEnvironmentProps } from '../../lib/mastodon-environment';
import { WEB_DEFAULTS } from '../../lib/model/defaults';
import { find, podMetaOf, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { environmentChart } from './mastodon-env';

const monitoring: Partial<MastodonEnvironmentProps> = { monitoring: true };
function build(props: Partial<WebMetricsProps> = {}, environmentProps: Partial<MastodonEnvironmentProps> = monitoring) {
  const { chart, environment } = environmentChart(environmentProps);
  const metrics = new WebMetrics(chart, 'web-metrics', { environment, ...props });
  return { metrics, objects: Testing.synth(chart) };
}
/** MastodonWeb with monitoring on, which makes its WebMetrics. */
function beside() {
  const { chart, environment } = environmentChart(monitoring);
  const web = new MastodonWeb(chart, 'web', { environment });
  return { web, objects: Testing.synth(chart) };
}

describe('alone, with the config defaults', () => {
  const { metrics, objects } = build();

  test('a Deployment and a Service, <instance>-web-metrics, no PodDisruptionBudget (one pod); the host web sends to is the bare Service name', () => {
    expect(objects.filter((o) => o.metadata.name === 'tiny-web-metrics').map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
    expect(metrics.deployment.name).toBe('tiny-web-metrics');
    expect(metrics.service.name).toBe('tiny-web-metrics');
    expect(metrics.host).toBe('tiny-web-metrics');
    expect(WebMetrics.PORT).toBe(9394);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the default resources are monitoring.webExporter\'s; a soft spread, a surge rollout', () => {
    const dep = find(objects, 'Deployment', 'tiny-web-metrics');
    expect(podSpecOf(dep).containers[0].resources).toEqual({ requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '192Mi' } });
    expect(podSpecOf(dep).topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });
});

describe('as MastodonWeb makes it with monitoring on', () => {
  const { web: webConstruct, objects } = beside();
  const web = podSpecOf(find(objects, 'Deployment', 'tiny-web'));

  test('web holds it, and tells Puma its host', () => {
    expect(webConstruct.metrics?.deployment.name).toBe('tiny-web-metrics');
    expect(web.containers[0].env).toContainEqual({ name: 'PROMETHEUS_EXPORTER_HOST', value: webConstruct.metrics?.host });
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the exporter is its own Deployment from the same image, behind a ClusterIP Service that selects exactly its pods', () => {
    const dep = find(objects, 'Deployment', 'tiny-web-metrics');
    const spec = podSpecOf(dep);
    const [exporter] = spec.containers;
    expect(spec.containers).toHaveLength(1);
    expect(dep.spec.replicas).toBe(1);
    expect(exporter.image).toBe(web.containers[0].image);
    expect(exporter.args).toEqual(['bundle', 'exec', 'prometheus_exporter', '--bind', '0.0.0.0', '--port', '9394']);
    expect(exporter.command).toBeUndefined();
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9394, protocol: 'TCP' }]);
    expect(exporter.readinessProbe.httpGet).toMatchObject({ path: '/ping', port: 9394 });
    expect(exporter.volumeMounts).toEqual([{ name: 'tmp-root', mountPath: '/tmp' }]);
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['tmp-root']);
    // No Secret reaches it: it only receives metrics.
    expect(JSON.stringify(spec)).not.toMatch(/secretKeyRef|envFrom/);
    // Alone, no PriorityClass (opt-in on the environment).
    expect(spec.priorityClassName).toBeUndefined();
    // The same nodes web may use (the image's architectures; a pool when one is given).
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual(web.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution);
    const svc = find(objects, 'Service', 'tiny-web-metrics');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9394, targetPort: 'metrics', protocol: 'TCP' }]);
    const selected = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)
      && Object.entries(svc.spec.selector).every(([k, v]) => podMetaOf(o).labels[k] === v)).map((o) => o.metadata.name);
    expect(selected).toEqual(['tiny-web-metrics']);
  });
});

describe('props change what they should', () => {
  test('resources and the web section (its pool)', () => {
    const { objects } = build({
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      web: { ...WEB_DEFAULTS, pool: 'onprem' },
    });
    const spec = podSpecOf(find(objects, 'Deployment', 'tiny-web-metrics'));
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toContainEqual({ key: 'node-pool', operator: 'In', values: ['onprem'] });
  });
  test('the environment\'s workload defaults are the default: the exporter\'s resources, web\'s pool', () => {
    const { objects } = build({}, { monitoring: true, workloadDefaults: {
      webExporterResources: { requests: { cpu: '30m', memory: '100Mi' }, limits: { memory: '200Mi' } },
      web: { ...WEB_DEFAULTS, pool: 'onprem' },
    } });
    const spec = podSpecOf(find(objects, 'Deployment', 'tiny-web-metrics'));
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: '30m', memory: '100Mi' }, limits: { memory: '200Mi' } });
    expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions)
      .toContainEqual({ key: 'node-pool', operator: 'In', values: ['onprem'] });
  });
});
