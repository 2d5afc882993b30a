/**
 * SearchDeploy beside a MastodonEnvironment (with an OpenSearch's endpoint) in a blank cdk8s
 * Chart: the tootctl search deploy hook Job, and what the environment gives every Rails pod.
 */
import { Testing } from 'cdk8s';
import { OpenSearch } from '../../lib/opensearch';
import { SearchDeploy, SearchDeployProps } from '../../lib/search-deploy';
import { SEARCH_DEFAULTS } from '../../lib/model/defaults';
import { MastodonEnvironment } from '../../lib/mastodon-environment';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { environmentChart, tinyProps } from './mastodon-env';

function build(props: Partial<SearchDeployProps> = {}) {
  const chart = Testing.chart();
  const search = new OpenSearch(chart, 'search', { instance: 'tiny' });
  const environment = new MastodonEnvironment(chart, 'env', tinyProps({ search: search.endpoint }));
  const deploy = new SearchDeploy(chart, 'deploy', { environment, ...props });
  return { deploy, objects: Testing.synth(chart) };
}

describe('alone, with an OpenSearch and the environment', () => {
  const { deploy, objects } = build();
  const job = find(objects, 'Job', deploy.job.name);
  const c = podSpecOf(job).containers[0];
  const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

  test('one Job, <instance>-search-deploy-<hash>, beside the OpenSearch objects and the env ConfigMap', () => {
    expect(deploy.job.name).toMatch(/^tiny-search-deploy-[0-9a-f]{8}$/);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Job', 'Service', 'StatefulSet']);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the environment carries the endpoint to the ConfigMap and, inline, to the Job', () => {
    expect(find(objects, 'ConfigMap', 'tiny-env').data).toMatchObject({ ES_ENABLED: 'true', ES_HOST: 'tiny-search', ES_PORT: '9200', ES_PRESET: 'single_node_cluster' });
    expect(env).toMatchObject({ ES_ENABLED: 'true', ES_HOST: 'tiny-search', DB_POOL: String(SEARCH_DEFAULTS.deploy.concurrency + 1) });
  });

  test('the defaults: tootctl\'s own concurrency and batch size, 6 hours, a Rails-sized pod', () => {
    expect(c.args).toEqual(['bin/tootctl', 'search', 'deploy', '--concurrency', '5', '--batch-size', '100']);
    expect(job.spec.activeDeadlineSeconds).toBe(SEARCH_DEFAULTS.deploy.timeoutSeconds);
    expect(c.resources.limits.memory).toBe('1536Mi');
  });
});

describe('refusals', () => {
  test('an environment without search, and bad numbers, each named', () => {
    const { chart, environment } = environmentChart();
    expect(() => new SearchDeploy(chart, 'deploy', { environment, concurrency: 0, timeoutSeconds: 10 }))
      .toThrow(/environment: has no search endpoint[\s\S]*concurrency: is 0[\s\S]*timeoutSeconds: is 10/);
  });

  test('a pod below the Rails floor', () => {
    expect(() => build({ resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } } })).toThrow(/resources\.requests\.memory: 256Mi is below the 512Mi floor/);
  });

  test('MastodonEnvironment refuses a search host with a scheme, and a password without a user', () => {
    expect(() => environmentChart({ search: { host: 'https://es.example', port: 9200, scheme: 'https', preset: 'small_cluster', passwordSecret: { name: 'es', key: 'p' } } }))
      .toThrow(/search\.host: 'https:\/\/es\.example' is not a bare host name[\s\S]*search\.user: passwordSecret is set without user/);
  });
});
