/**
 * Full-text search (issue 25 item 2): the ES_* settings as Mastodon's config/initializers/chewy.rb
 * reads them, the in-cluster OpenSearch, the tootctl search deploy Job, and every refusal.
 */
import { errorsOf, exampleRaw, find, messageAt, podSpecOf, render, resolved, withChange } from './support/fixtures';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { podPolicyOffences } from './support/pod-policy';
import { scanObjects } from './support/secret-scan';
import { planConfig } from '../lib';
import { helmTimeoutAdvice } from '../lib/rules/job-timeout';
import {
  internalSearchHost, openSearchHeapMiB, searchDeployArgs, searchDeployName, searchEndpointProblems, searchEpoch, searchEnv, SearchDeployOptions,
} from '../lib/rules/search';
import type { Manifest } from '../lib/model';
import { parseAllDocuments, stringify } from 'yaml';
import { wireValues } from '../cli/helm-chart';

/**
 * The delete policies Argo CD applies to a hook, computed as gitops-engine's DeletePolicies()
 * (argoproj/gitops-engine pkg/sync/hook/delete_policy.go): its own annotation, then Helm's
 * (pkg/sync/hook/helm/delete_policy.go), and BeforeHookCreation when neither names one.
 */
function argoDeletePolicies(a: Record<string, string>): string[] {
  const csv = (k: string) => (a[k] ?? '').split(',').map((x) => x.trim()).filter((x) => x);
  const argo = csv('argocd.argoproj.io/hook-delete-policy').filter((p) => ['BeforeHookCreation', 'HookSucceeded', 'HookFailed'].includes(p));
  const helmMap: Record<string, string> = { 'before-hook-creation': 'BeforeHookCreation', 'hook-succeeded': 'HookSucceeded', 'hook-failed': 'HookFailed' };
  const helm = csv('helm.sh/hook-delete-policy').filter((p) => p in helmMap).map((p) => helmMap[p]);
  const all = [...argo, ...helm];
  return all.length > 0 ? all : ['BeforeHookCreation'];
}

const external = (more: Record<string, unknown> = {}) => withChange(exampleRaw(), (c) => {
  c.search = { mode: 'external', host: 'search.example.net', ...more };
});
const internal = (more: Record<string, unknown> = {}) => withChange(exampleRaw(), (c) => { c.search = { mode: 'internal', ...more }; });

const envMap = (objects: Manifest[]) => find(objects, 'ConfigMap', 'ocw-env').data as Record<string, string>;
const containerEnv = (o: Manifest) => podSpecOf(o).containers[0].env as { name: string; value?: string; valueFrom?: any }[];
const esKeys = (data: Record<string, string>) => Object.keys(data).filter((k) => k.startsWith('ES_')).sort();
const jobs = (objects: Manifest[]) => objects.filter((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'search-deploy');
const policy = (objects: Manifest[], short: string) => objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === `ocw-netpol-${short}`);

const DEPLOY: SearchDeployOptions = { concurrency: 5, batchSize: 100, resetChewy: false };

describe('rules', () => {
  test('no endpoint, no variables: search stays off as Mastodon defaults', () => {
    expect(searchEnv(undefined)).toEqual({ plain: {}, secrets: [] });
  });

  test('http: the bare host; https: written into ES_HOST, as chewy.rb joins host and port', () => {
    const base = { host: 'search.example.net', port: 9200, preset: 'single_node_cluster' } as const;
    expect(searchEnv({ ...base, scheme: 'http' }).plain).toEqual({ ES_ENABLED: 'true', ES_HOST: 'search.example.net', ES_PORT: '9200', ES_PRESET: 'single_node_cluster' });
    expect(searchEnv({ ...base, scheme: 'https', port: 443 }).plain.ES_HOST).toBe('https://search.example.net');
  });

  test('user plain, password from the Secret, prefix when given', () => {
    const e = searchEnv({ host: 'h.example', port: 9200, scheme: 'https', preset: 'small_cluster', user: 'mastodon', passwordSecret: { name: 'es', key: 'password' }, prefix: 'ocw' });
    expect(e.plain).toMatchObject({ ES_USER: 'mastodon', ES_PREFIX: 'ocw', ES_PRESET: 'small_cluster' });
    expect(e.plain).not.toHaveProperty('ES_PASS');
    expect(e.secrets).toEqual([{ env: 'ES_PASS', secretName: 'es', key: 'password' }]);
  });

  test('the heap is half the memory limit, in MiB', () => {
    expect(openSearchHeapMiB(2 * 2 ** 30)).toBe(1024);
    expect(openSearchHeapMiB(1536 * 2 ** 20)).toBe(768);
  });

  test('the command line carries each option', () => {
    expect(searchDeployArgs(DEPLOY)).toEqual(['bin/tootctl', 'search', 'deploy', '--concurrency', '5', '--batch-size', '100']);
    expect(searchDeployArgs({ ...DEPLOY, resetChewy: true, only: ['accounts', 'statuses'] }))
      .toEqual(['bin/tootctl', 'search', 'deploy', '--concurrency', '5', '--batch-size', '100', '--reset-chewy', '--only', 'accounts', 'statuses']);
  });

  test('the Job name changes with the search epoch, the token and the arguments, and only then', () => {
    const n = searchDeployName('ocw', 'v4.7.2', DEPLOY);
    expect(n).toMatch(/^ocw-search-deploy-[0-9a-f]{8}$/);
    expect(searchDeployName('ocw', 'v4.7.2', { ...DEPLOY })).toBe(n);
    // A patch or minor upgrade whose notes ask for no search deploy keeps the name (no re-import).
    expect(searchDeployName('ocw', 'v4.7.3', DEPLOY)).toBe(n);
    expect(searchDeployName('ocw', 'v4.5.0', DEPLOY)).toBe(n);
    // Crossing a release whose notes ask for one (v4.4.0: --only-mapping; v4.2.0) renames it.
    expect(searchDeployName('ocw', 'v4.3.9', DEPLOY)).not.toBe(n);
    expect(searchDeployName('ocw', 'v4.1.0', DEPLOY)).not.toBe(searchDeployName('ocw', 'v4.2.0', DEPLOY));
    expect(searchDeployName('ocw', 'v4.7.2', { ...DEPLOY, reindexToken: 'again' })).not.toBe(n);
    expect(searchDeployName('ocw', 'v4.7.2', { ...DEPLOY, resetChewy: true })).not.toBe(n);
    expect(searchDeployName('ocw', 'v4.7.2', { ...DEPLOY, onlyMapping: true })).not.toBe(n);
  });

  test('the search epoch: the newest release up to the version whose notes ask for tootctl search deploy', () => {
    expect(searchEpoch('v4.1.3')).toBe('none');
    expect(searchEpoch('v4.2.0')).toBe('v4.2.0');
    expect(searchEpoch('v4.3.9')).toBe('v4.2.0');
    expect(searchEpoch('v4.4.0')).toBe('v4.4.0');
    expect(searchEpoch('v4.7.2')).toBe('v4.4.0');
  });

  test('--only-mapping: update the index specification without re-importing (the v4.4.0 notes)', () => {
    expect(searchDeployArgs({ ...DEPLOY, onlyMapping: true })).toEqual(['bin/tootctl', 'search', 'deploy', '--concurrency', '5', '--batch-size', '100', '--only-mapping']);
  });

  test('endpoint problems: a scheme in the host, user and password apart', () => {
    expect(searchEndpointProblems('search', { host: 'https://h.example' }).map((p) => p.path)).toEqual(['search.host']);
    expect(searchEndpointProblems('search', { host: 'h.example', passwordSecret: { name: 'es', key: 'p' } }).map((p) => p.path)).toEqual(['search.user']);
    expect(searchEndpointProblems('search', { host: 'h.example', user: 'u' }).map((p) => p.path)).toEqual(['search.passwordSecret']);
    expect(searchEndpointProblems('search', { host: 'opensearch.search', user: 'u', passwordSecret: { name: 'es', key: 'p' } })).toEqual([]);
  });
});

describe('off by default', () => {
  const objects = render();
  test('no ES_* setting, no OpenSearch, no Job, no search policy', () => {
    expect(resolved().search).toEqual({ mode: 'off' });
    expect(esKeys(envMap(objects))).toEqual([]);
    expect(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'search')).toEqual([]);
    expect(jobs(objects)).toEqual([]);
    expect(policy(objects, 'search-clients')).toBeUndefined();
  });
});

describe('mode external', () => {
  const objects = render(external({ scheme: 'https', port: 443, user: 'mastodon', passwordSecret: { name: 'ocw-search', key: 'password' }, prefix: 'ocw', preset: 'small_cluster' }));

  test('the env ConfigMap holds the ES_* settings as chewy.rb reads them', () => {
    const data = envMap(objects);
    expect(esKeys(data)).toEqual(['ES_ENABLED', 'ES_HOST', 'ES_PORT', 'ES_PREFIX', 'ES_PRESET', 'ES_USER']);
    expect(data).toMatchObject({ ES_ENABLED: 'true', ES_HOST: 'https://search.example.net', ES_PORT: '443', ES_PREFIX: 'ocw', ES_PRESET: 'small_cluster', ES_USER: 'mastodon' });
  });

  test('ES_PASS reaches web, Sidekiq and the Job from the Secret, never as a value', () => {
    for (const o of [find(objects, 'Deployment', 'ocw-web'), ...objects.filter((x) => x.kind === 'Deployment' && x.metadata.name.startsWith('ocw-sidekiq-')), ...jobs(objects)]) {
      expect(containerEnv(o).find((e) => e.name === 'ES_PASS')).toEqual({ name: 'ES_PASS', valueFrom: { secretKeyRef: { name: 'ocw-search', key: 'password' } } });
    }
    expect(scanObjects('external search', objects)).toEqual([]);
  });

  test('defaults: port 9200, http, single_node_cluster, no user, no prefix', () => {
    const data = envMap(render(external()));
    expect(esKeys(data)).toEqual(['ES_ENABLED', 'ES_HOST', 'ES_PORT', 'ES_PRESET']);
    expect(data).toMatchObject({ ES_HOST: 'search.example.net', ES_PORT: '9200', ES_PRESET: 'single_node_cluster' });
  });

  test('a change of the search settings rolls the pods (the env checksum changes)', () => {
    const checksum = (o: Manifest[]) => find(o, 'Deployment', 'ocw-web').spec.template.metadata.annotations['checksum/env'];
    expect(checksum(objects)).not.toBe(checksum(render()));
    expect(checksum(render(external({ prefix: 'other' })))).not.toBe(checksum(render(external())));
  });

  test('web, Sidekiq and the Job may reach the server on its port, and no OpenSearch is rendered', () => {
    const p = policy(objects, 'search-clients')!;
    expect(p.spec.podSelector.matchExpressions[0].values).toEqual(['web', 'sidekiq', 'search-deploy']);
    expect(p.spec.policyTypes).toEqual(['Egress']);
    expect(p.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }]);
    expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'ocw-search')).toBe(false);
  });

  test('a server in another namespace is reached there only', () => {
    const p = policy(render(external({ host: 'opensearch.search' })), 'search-clients')!;
    expect(p.spec.egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'search' } } }], ports: [{ protocol: 'TCP', port: 9200 }] }]);
  });

  test('every rendered object validates strictly', () => {
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(objects)).toEqual([]);
  });
});

describe('refusals, each naming its field', () => {
  test.each([
    ['a scheme in the host', external({ host: 'https://search.example.net' }), 'search.host', /bare host name.*search\.scheme/],
    ['a port in the host', external({ host: 'search.example.net:9200' }), 'search.host', /search\.port/],
    ['an empty host', external({ host: '' }), 'search.host', /host name/],
    ['a password without a user', external({ passwordSecret: { name: 'es', key: 'password' } }), 'search.user', /ES_PASS only with ES_USER/],
    ['a user without a password', external({ user: 'mastodon' }), 'search.passwordSecret', /Secret key that holds its password/],
    ['a pasted password', external({ user: 'mastodon', passwordSecret: 'hunter2' }), 'search.passwordSecret', /Secret reference/],
    ['an unknown preset', external({ preset: 'tiny' }), 'search.preset', /single_node_cluster/],
    ['an unknown scheme', external({ scheme: 'ftp' }), 'search.scheme', /http/],
    ['a port out of range', external({ port: 70000 }), 'search.port', /65535/],
    ['an upper-case prefix', external({ prefix: 'OCW' }), 'search.prefix', /lower-case/],
    ['an unknown mode', withChange(exampleRaw(), (c) => { c.search = { mode: 'elastic' }; }), 'search.mode', /./],
    ['an unknown field', external({ url: 'https://x' }), 'search.url', /unknown key/],
    ['an OpenSearch field in external mode', external({ pool: 'cloud' }), 'search.pool', /unknown key/],
    ['a bad reindex token', external({ deploy: { reindexToken: 'now please' } }), 'search.deploy.reindexToken', /token/],
    ['an unknown index', external({ deploy: { only: ['toots'] } }), 'search.deploy.only[0]', /statuses/],
    ['zero threads', external({ deploy: { concurrency: 0 } }), 'search.deploy.concurrency', /./],
    ['a deadline under 10 minutes', external({ deploy: { timeoutSeconds: 60 } }), 'search.deploy.timeoutSeconds', /600/],
    ['OpenSearch below its memory floor', internal({ resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } } }), 'search.resources.requests.memory', /1Gi floor.*heap/],
    ['an OpenSearch request below its limit (the heap is sized from the limit)', internal({ resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '4Gi' } } }), 'search.resources.requests.memory', /1Gi is not the limit 4Gi: .*heap.*set requests\.memory to 4Gi/],
    ['OpenSearch in a pool without nodes', internal({ pool: 'nowhere' }), 'search.pool', /no nodes/],
    ['a tootctl pod below the Rails floor', internal({ deploy: { resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } } } }), 'search.deploy.resources.requests.memory', /512Mi floor/],
  ])('%s', (_what, raw, path, message) => {
    expect(messageAt(errorsOf(raw), path)).toMatch(message);
  });

  test('every problem at once', () => {
    const paths = errorsOf(external({ host: 'https://x', preset: 'tiny', prefix: 'UP' })).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['search.host', 'search.preset', 'search.prefix']));
  });
});

describe('mode internal', () => {
  const objects = render(internal());
  const sts = find(objects, 'StatefulSet', 'ocw-search');
  const spec = podSpecOf(sts);
  const c = spec.containers[0];
  const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));

  test('Mastodon points at the in-cluster Service, with no replicas', () => {
    expect(find(objects, 'Service', 'ocw-search').spec.clusterIP).toBe('None');
    expect(internalSearchHost('ocw')).toBe('ocw-search');
    expect(envMap(objects)).toMatchObject({ ES_ENABLED: 'true', ES_HOST: 'ocw-search', ES_PORT: '9200', ES_PRESET: 'single_node_cluster' });
    expect(esKeys(envMap(objects))).not.toContain('ES_USER');
  });

  test('search.prefix becomes ES_PREFIX', () => {
    expect(envMap(render(internal({ prefix: 'ocw' })))).toMatchObject({ ES_HOST: 'ocw-search', ES_PREFIX: 'ocw' });
  });

  test('single node, security plugin off without demo certificates, no mmap, heap half the limit', () => {
    expect(c.image).toBe('docker.io/opensearchproject/opensearch:2.19.4');
    expect(env).toMatchObject({
      'discovery.type': 'single-node', 'node.store.allow_mmap': 'false',
      DISABLE_SECURITY_PLUGIN: 'true', DISABLE_INSTALL_DEMO_CONFIG: 'true', OPENSEARCH_JAVA_OPTS: '-Xms1024m -Xmx1024m',
    });
    expect(env).not.toHaveProperty('OPENSEARCH_INITIAL_ADMIN_PASSWORD');
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '2Gi' }, limits: { memory: '2Gi' } });
    const small = podSpecOf(find(render(internal({ resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } } })), 'StatefulSet', 'ocw-search'));
    expect(small.containers[0].env.find((e: any) => e.name === 'OPENSEARCH_JAVA_OPTS').value).toBe('-Xms512m -Xmx512m');
  });

  test('indices on a kept PVC; config, logs and /tmp on emptyDirs', () => {
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/usr/share/opensearch/data', '/usr/share/opensearch/config', '/usr/share/opensearch/logs', '/tmp']);
    const sized = find(render(internal({ storage: { size: '30Gi', storageClass: 'longhorn' } })), 'StatefulSet', 'ocw-search');
    expect(sized.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'longhorn', resources: { requests: { storage: '30Gi' } } });
  });

  test('uid 1000 (the image user), read-only root with the config copied by an unprivileged init container; probes on 9200', () => {
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true });
    for (const x of [c, ...spec.initContainers]) {
      expect(x.securityContext).toMatchObject({ runAsUser: 1000, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
    expect(spec.initContainers.map((x: any) => [x.name, x.image])).toEqual([['config', c.image]]);
    expect(spec.initContainers[0].command.join(' ')).toContain('cp -a /usr/share/opensearch/config/. /mnt/config/');
    expect(c.volumeMounts).toContainEqual({ name: 'config', mountPath: '/usr/share/opensearch/config' });
    expect(c.readinessProbe.httpGet.path).toMatch(/^\/_cluster\/health\?.*wait_for_status=yellow/);
    expect(c.livenessProbe.tcpSocket.port).toBe(9200);
    expect(c.startupProbe.tcpSocket.port).toBe(9200);
  });

  test('on the cloud pool by default, on amd64 or arm64, and in another pool when asked', () => {
    const terms = (s: any) => s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(terms(spec)).toEqual(expect.arrayContaining([{ key: 'node-pool', operator: 'In', values: ['cloud'] }, { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }]));
    expect(terms(podSpecOf(find(render(internal({ pool: 'onprem' })), 'StatefulSet', 'ocw-search')))).toEqual(expect.arrayContaining([{ key: 'node-pool', operator: 'In', values: ['onprem'] }]));
  });

  test('only web, Sidekiq and the Job reach it, on 9200; it reaches nothing', () => {
    const p = policy(objects, 'search')!;
    expect(p.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'ocw', 'app.kubernetes.io/component': 'search' });
    expect(p.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'ocw' }, matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['web', 'sidekiq', 'search-deploy'] }] } }], ports: [{ protocol: 'TCP', port: 9200 }] }]);
    expect(p.spec.egress).toEqual([]);
    expect(policy(objects, 'search-clients')!.spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'ocw', 'app.kubernetes.io/component': 'search' } } }], ports: [{ protocol: 'TCP', port: 9200 }] }]);
  });

  test('the Job reaches the database and Redis, and they admit it', () => {
    const p = policy(objects, 'search-deploy')!;
    expect(p.spec.egress.length).toBeGreaterThanOrEqual(2);
    const admits = (short: string) => JSON.stringify(policy(objects, short)!.spec.ingress).includes('search-deploy');
    expect(admits('pooler')).toBe(true);
    expect(admits('redis')).toBe(true);
    expect(admits('pooler') && JSON.stringify(policy(render(), 'pooler')!.spec.ingress).includes('search-deploy')).toBe(false);
  });

  test('every rendered object validates strictly and passes the pod policy and the secret scan', () => {
    for (const v of K8S_VERSIONS) expect(new K8sValidator(v).validateAll(objects)).toEqual([]);
    expect(podPolicyOffences(objects)).toEqual([]);
    expect(scanObjects('internal search', objects)).toEqual([]);
  });

  test('the plan places the OpenSearch pod and the Job and counts their requests', () => {
    const report = planConfig(resolved(internal()));
    const pod = report.pods.find((p) => p.owner === 'StatefulSet/ocw-search');
    expect(pod).toMatchObject({ memory: 2 * 2 ** 30, component: 'search' });
    const placedOn = [...report.normal.byNode].filter(([, pods]) => pods.some((p) => p.owner === 'StatefulSet/ocw-search')).map(([n]) => n);
    expect(placedOn).toHaveLength(1);
    expect(placedOn[0]).toMatch(/^cloud-/);
    expect(report.jobs.some((j) => j.owner.startsWith('Job/ocw-search-deploy-'))).toBe(true);
    const without = planConfig(resolved());
    expect(without.pods.some((p) => p.owner === 'StatefulSet/ocw-search')).toBe(false);
  });

  test('the plan refuses an OpenSearch that fits no node', () => {
    const report = planConfig(resolved(internal({ resources: { requests: { cpu: '250m', memory: '64Gi' }, limits: { memory: '64Gi' } } })));
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/StatefulSet\/ocw-search#0 does not fit/);
  });
});

describe('the tootctl search deploy Job', () => {
  const objects = render(internal());
  const [job] = jobs(objects);

  test('Argo CD: a PostSync hook after the post migration, never replaced on the next sync', () => {
    const post = find(objects, 'Job', 'ocw-db-migrate-post').metadata.annotations ?? {};
    const a = job.metadata.annotations ?? {};
    expect(a['argocd.argoproj.io/hook']).toBe('PostSync');
    expect(Number(a['argocd.argoproj.io/sync-wave'])).toBeGreaterThan(Number(post['argocd.argoproj.io/sync-wave'] ?? 0));
    // A succeeded Job stays (it runs once per name); a failed one is deleted and runs next sync.
    expect(argoDeletePolicies(a)).toEqual(['HookFailed']);
    // No Helm hook in dist/: Argo CD reads Helm's delete policy too.
    expect(Object.keys(a).filter((k) => k.startsWith('helm.sh/'))).toEqual([]);
  });

  test('argoDeletePolicies follows DeletePolicies(): Helm policies count, none means BeforeHookCreation', () => {
    expect(argoDeletePolicies({})).toEqual(['BeforeHookCreation']);
    expect(argoDeletePolicies({ 'helm.sh/hook-delete-policy': 'before-hook-creation' })).toEqual(['BeforeHookCreation']);
    expect(argoDeletePolicies({ 'argocd.argoproj.io/hook-delete-policy': 'HookFailed', 'helm.sh/hook-delete-policy': 'before-hook-creation' })).toEqual(['HookFailed', 'BeforeHookCreation']);
    expect(argoDeletePolicies({ 'argocd.argoproj.io/hook-delete-policy': 'garbage' })).toEqual(['BeforeHookCreation']);
  });

  test('Helm: the chart rendering adds post-install/upgrade after the migration, and a TTL', () => {
    const text = objects.filter((o) => o.kind !== 'Namespace').map((o) => stringify(o)).join('---\n');
    const rendered = parseAllDocuments(wireValues(text, resolved(internal())).templates).map((d) => d.toJS() as Manifest);
    const helmJob = jobs(rendered)[0];
    const post = find(rendered, 'Job', 'ocw-db-migrate-post').metadata.annotations ?? {};
    const a = helmJob.metadata.annotations ?? {};
    expect(a['helm.sh/hook']).toBe('post-install,post-upgrade');
    expect(Number(a['helm.sh/hook-weight'])).toBeGreaterThan(Number(post['helm.sh/hook-weight']));
    expect(a['helm.sh/hook-delete-policy']).toBe('before-hook-creation');
    expect(helmJob.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
  });

  test('runs tootctl search deploy with its own DB_POOL, inline env, bounded in time', () => {
    const spec = podSpecOf(job);
    const c = spec.containers[0];
    expect(job.metadata.name).toBe(searchDeployName('ocw', resolved().images.mastodon.tag, DEPLOY));
    expect(c.args).toEqual(['bin/tootctl', 'search', 'deploy', '--concurrency', '5', '--batch-size', '100']);
    expect(c.envFrom).toBeUndefined();
    expect(c.env.find((e: any) => e.name === 'DB_POOL').value).toBe('6');
    expect(c.env.find((e: any) => e.name === 'ES_HOST').value).toBe('ocw-search');
    expect(job.spec.activeDeadlineSeconds).toBe(21600);
    expect(job.spec.backoffLimit).toBe(6);
    expect(spec.restartPolicy).toBe('Never');
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '768Mi' }, limits: { memory: '1536Mi' } });
  });

  test('a new reindexToken or an upgrade whose notes ask for it renames it (Argo CD runs it again); a patch upgrade does not', () => {
    const named = (raw: unknown) => jobs(render(raw))[0].metadata.name;
    expect(named(internal({ storage: { size: '20Gi' } }))).toBe(job.metadata.name);
    expect(named(internal({ deploy: { reindexToken: 'v4.8-notes' } }))).not.toBe(job.metadata.name);
    const upgraded = internal();
    upgraded.mastodon.version = 'v4.7.3';
    expect(named(upgraded)).toBe(job.metadata.name);
  });

  test('search.deploy.onlyMapping reaches the command line', () => {
    const [j] = jobs(render(internal({ deploy: { onlyMapping: true } })));
    expect(podSpecOf(j).containers[0].args).toContain('--only-mapping');
    expect(j.metadata.name).not.toBe(job.metadata.name);
  });

  test('the options reach the command line and the deadline', () => {
    const [j] = jobs(render(internal({ deploy: { concurrency: 2, batchSize: 50, resetChewy: true, only: ['statuses'], timeoutSeconds: 3600 } })));
    expect(podSpecOf(j).containers[0].args).toEqual(['bin/tootctl', 'search', 'deploy', '--concurrency', '2', '--batch-size', '50', '--reset-chewy', '--only', 'statuses']);
    expect(j.spec.activeDeadlineSeconds).toBe(3600);
    const [big] = jobs(render(internal({ deploy: { resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } } } })));
    expect(podSpecOf(big).containers[0].resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } });
  });

  test('Helm waits for it: the --timeout advice covers its deadline', () => {
    const advice = helmTimeoutAdvice(objects);
    expect(advice.seconds).toBe(21600);
    expect(advice.timeout).toBe('360m');
    expect(advice.text).toMatch(/^The search index Job ocw-search-deploy-[0-9a-f]{8} has backoffLimit 6 and activeDeadlineSeconds 21600/);
    expect(helmTimeoutAdvice(render()).text).toMatch(/^The migration Job ocw-db-migrate/);
  });

  test('the connection budget counts its DB_POOL through the pooler', () => {
    const line = (raw: unknown) => resolved(raw).postgres!.budget.clients.find((l) => l.who === 'search index Job');
    expect(line(internal({ deploy: { concurrency: 3 } }))).toMatchObject({ connections: 4 });
    expect(line(exampleRaw())).toBeUndefined();
    expect(resolved(internal()).postgres!.budget.clientTotal).toBe(resolved().postgres!.budget.clientTotal + 6);
  });

  test('left out while maintenance.stopWorkloads is on', () => {
    const raw = withChange(internal(), (c) => { c.maintenance = { enabled: true, stopWorkloads: true }; });
    expect(jobs(render(raw))).toEqual([]);
  });
});
