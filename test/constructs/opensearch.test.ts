/**
 * OpenSearch alone in a blank cdk8s Chart: what its props render. (The chart-level behaviour,
 * NetworkPolicies and the plan are in test/search.test.ts.)
 */
import { Testing } from 'cdk8s';
import { OpenSearch } from '../../lib/opensearch';
import { SEARCH_DEFAULTS } from '../../lib/model/defaults';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { podPolicyOffences } from '../support/pod-policy';

function build(props: Partial<ConstructorParameters<typeof OpenSearch>[2]> = {}) {
  const chart = Testing.chart();
  const construct = new OpenSearch(chart, 'search', { instance: 'tiny', ...props });
  return { construct, objects: Testing.synth(chart) };
}

describe('alone, with the config defaults', () => {
  const { construct, objects } = build();
  const sts = find(objects, 'StatefulSet', 'tiny-search');
  const c = podSpecOf(sts).containers[0];

  test('a StatefulSet and its headless Service, both <instance>-search, and the endpoint naming it', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Service/tiny-search', 'StatefulSet/tiny-search']);
    expect(construct.service.name).toBe('tiny-search');
    expect(construct.endpoint).toEqual({ host: 'tiny-search', port: 9200, scheme: 'http', preset: 'single_node_cluster' });
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the same resources and storage as a config that leaves them out; heap half the limit; on any node', () => {
    expect(c.resources).toEqual(SEARCH_DEFAULTS.internal.resources);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(SEARCH_DEFAULTS.internal.storage.size);
    expect(c.env.find((e: any) => e.name === 'OPENSEARCH_JAVA_OPTS').value).toBe('-Xms1024m -Xmx1024m');
    const terms = podSpecOf(sts).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(terms.map((t: any) => t.key)).toEqual(['kubernetes.io/arch']);
  });

  test('passes the pod policy', () => {
    expect(podPolicyOffences(objects)).toEqual([]);
  });

  test('refuses memory below the floor, and a limit below the request, naming the prop', () => {
    expect(() => build({ resources: { requests: { cpu: '1', memory: '768Mi' }, limits: { memory: '768Mi' } } })).toThrow(/resources\.requests\.memory: 768Mi is below the 1Gi floor/);
    expect(() => build({ resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '1Gi' } } })).toThrow(/resources\.limits\.memory: the limit 1Gi is below the request 2Gi/);
    expect(() => build({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } } })).toThrow(/resources\.requests\.memory: 1Gi is not the limit 2Gi/);
  });
});
