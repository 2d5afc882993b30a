/**
 * MastodonEnvironment alone in a blank cdk8s Chart, from its few props and no config: the env
 * ConfigMap, the Secret references its pods get, the media volume and the PriorityClasses.
 */
import { App, Chart, Testing } from 'cdk8s';
import { MastodonChart } from '../../lib/chart';
import { resolveConfig, resolveConfigOrThrow } from '../../lib/config/resolve';
import { MastodonEnvironment } from '../../lib/mastodon-environment';
import { MastodonWeb } from '../../lib/mastodon-web';
import { MastodonStreaming } from '../../lib/mastodon-streaming';
import { MediaCleanup } from '../../lib/media-cleanup';
import { Migrations } from '../../lib/migrations';
import { PostgresCluster } from '../../lib/postgres-cluster';
import { PriorityClasses } from '../../lib/priority-classes';
import { SidekiqQueue } from '../../lib/sidekiq-queue';
import { MASTODON_SECRET_KEYS } from '../../lib/rules/environment';
import type { Manifest } from '../../lib/model';
import { exampleRaw, find, podSpecOf, resolved, withChange, WORKLOAD_KINDS } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { environmentChart, TINY_DATABASE, tinyProps } from './mastodon-env';

/** A backup destination: PostgresCluster needs one. */
const BACKUP = { objectStore: { destinationPath: 's3://tiny-backups/postgres', endpointURL: 'https://s3.example', credentialsSecret: { name: 'tiny-backup-s3' } } };
const secretRefs = (c: any) => Object.fromEntries(c.env.filter((e: any) => e.valueFrom).map((e: any) => [e.name, e.valueFrom.secretKeyRef]));

describe('alone, with the required props only', () => {
  const { chart, environment } = environmentChart();
  const objects = Testing.synth(chart);
  const data = find(objects, 'ConfigMap', 'tiny-env').data;

  test('only the env ConfigMap: no cluster-wide PriorityClasses unless asked for; no media volume (media on S3)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/tiny-env']);
    expect(environment.priorityClasses).toBeUndefined();
    expect(environment.mediaClaim).toBeUndefined();
  });

  test('pods that fit any cluster: no pool term, no PriorityClass', () => {
    const spec = environment.pods.podSpec({
      containers: [environment.pods.railsContainer({ name: 'x', args: ['true'], resources: {} })],
      placement: { architectures: ['amd64'] }, priority: 'frontend',
    });
    expect(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0].matchExpressions)
      .toEqual([{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }]);
    expect(spec.priorityClassName).toBeUndefined();
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('the domain, the database given, the in-cluster Redis of the instance', () => {
    expect(data).toMatchObject({
      LOCAL_DOMAIN: 'tiny.example', RAILS_ENV: 'production',
      DB_HOST: 'db.example', DB_PORT: '5432', DB_NAME: 'mastodon', DB_USER: 'mastodon', DB_SSLMODE: 'prefer',
      REDIS_HOST: 'tiny-redis', REDIS_PORT: '6379',
    });
    expect(data.WEB_DOMAIN).toBeUndefined();
    expect(data.PREPARED_STATEMENTS).toBeUndefined();
  });

  test('the config\'s defaults for the rest: SMTP on 587 with STARTTLS, S3 in us-east-1; TRUSTED_PROXY_IP unset (Rails\' default: loopback and private ranges)', () => {
    expect(data).toMatchObject({
      SMTP_SERVER: 'smtp.example', SMTP_PORT: '587', SMTP_FROM_ADDRESS: 'tiny@tiny.example', SMTP_AUTH_METHOD: 'plain', SMTP_ENABLE_STARTTLS: 'auto',
      S3_ENABLED: 'true', S3_BUCKET: 'tiny', S3_REGION: 'us-east-1', S3_ENDPOINT: 'https://s3.example', S3_PROTOCOL: 'https', S3_HOSTNAME: 's3.example',
      SINGLE_USER_MODE: 'false', DEFAULT_LOCALE: 'en',
    });
    expect(data.SMTP_LOGIN).toBeUndefined();
    expect(data.TRUSTED_PROXY_IP).toBeUndefined();
    expect(environment.settings.images.mastodon.repository).toBe('ghcr.io/mastodon/mastodon');
  });

  test('secrets are referenced by name and key, never written into the ConfigMap', () => {
    const c = environment.pods.railsContainer({ name: 'x', args: ['true'], resources: {} });
    expect(secretRefs(c)).toEqual({
      ...Object.fromEntries(MASTODON_SECRET_KEYS.map((k) => [k, { name: 'tiny-keys', key: k }])),
      DB_PASS: { name: 'tiny-db', key: 'password' },
      AWS_ACCESS_KEY_ID: { name: 'tiny-s3', key: 'AWS_ACCESS_KEY_ID' },
      AWS_SECRET_ACCESS_KEY: { name: 'tiny-s3', key: 'AWS_SECRET_ACCESS_KEY' },
    });
    for (const k of [...MASTODON_SECRET_KEYS, 'DB_PASS', 'AWS_SECRET_ACCESS_KEY']) expect(data[k]).toBeUndefined();
  });

  test('a checksum of the variables, so a change rolls the pods', () => {
    const other = environmentChart({ domain: 'other.example' }).environment;
    expect(environment.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(other.checksum).not.toBe(environment.checksum);
    expect(environment.pods.podAnnotations).toEqual({ 'checksum/env': environment.checksum });
  });
});

test('a construct alone and a config with nothing set agree on everything but what fits only the config\'s k3s cluster (pools, TRUSTED_PROXY_IP), and agree on that too once it is given', () => {
  const config = resolveConfigOrThrow({
    name: 'tiny', domain: 'tiny.example',
    mastodon: { secretName: 'tiny-keys' },
    nodes: { inventory: [
      { name: 'vm-1', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '8Gi' },
      { name: 'vm-2', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '8Gi' },
    ] },
    database: { mode: 'external', host: 'db.example', passwordSecret: { name: 'tiny-db', key: 'password' } },
    redis: { mode: 'internal' },
    media: { s3: { bucket: 'tiny', endpoint: 'https://s3.example', credentialsSecret: { name: 'tiny-s3' } } },
    smtp: { server: 'smtp.example', fromAddress: 'tiny@tiny.example' },
    sidekiq: { processes: [{ name: 'all', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'scheduler', 'fasp'] }] },
  });
  const fromConfig = new MastodonChart(new App(), 'tiny', { config }).environment;
  const alone = environmentChart().environment;
  const { TRUSTED_PROXY_IP, ...configEnv } = fromConfig.plainEnv;
  expect(TRUSTED_PROXY_IP).toBe('127.0.0.1/32 ::1/128 10.42.0.0/16');
  expect(alone.plainEnv).toEqual(configEnv);
  const s = fromConfig.settings;
  const { pool: webPool, ...web } = s.web;
  const { pool: streamingPool, ...streaming } = s.streaming;
  expect([webPool, streamingPool]).toEqual(['cloud', 'cloud']);
  expect(alone.settings).toEqual({ ...s, web, streaming, network: { failoverSeconds: s.network.failoverSeconds } });
  const given = environmentChart({ trustedProxies: s.network.trustedProxies, workloadDefaults: { web: s.web, streaming: s.streaming } }).environment;
  expect(given.plainEnv).toEqual(fromConfig.plainEnv);
  expect(given.settings).toEqual(fromConfig.settings);
});

describe('props change what they should', () => {
  test('an external Redis with a password, a web domain, SMTP login and password', () => {
    const { chart, environment } = environmentChart({
      webDomain: 'www.tiny.example',
      redis: { host: 'redis.example', port: 6380, passwordSecret: { name: 'tiny-redis', key: 'pw' } },
      smtp: { server: 'smtp.example', port: 465, fromAddress: 'tiny@tiny.example', login: 'tiny', passwordSecret: { name: 'tiny-smtp', key: 'pw' }, enableStarttls: 'never' },
    });
    const data = find(Testing.synth(chart), 'ConfigMap', 'tiny-env').data;
    expect(data).toMatchObject({ WEB_DOMAIN: 'www.tiny.example', REDIS_HOST: 'redis.example', REDIS_PORT: '6380', SMTP_PORT: '465', SMTP_LOGIN: 'tiny', SMTP_ENABLE_STARTTLS: 'never' });
    const refs = secretRefs(environment.pods.railsContainer({ name: 'x', args: ['true'], resources: {} }));
    expect(refs.REDIS_PASSWORD).toEqual({ name: 'tiny-redis', key: 'pw' });
    expect(refs.SMTP_PASSWORD).toEqual({ name: 'tiny-smtp', key: 'pw' });
    // Streaming gets only the database and Redis passwords.
    expect(Object.keys(secretRefs(environment.pods.streamingContainer({ name: 's', resources: {} }))).sort()).toEqual(['DB_PASS', 'REDIS_PASSWORD']);
  });

  test('media on a volume: a PVC kept when the app is deleted, mounted at public/system; no S3 variables', () => {
    const { chart, environment } = environmentChart({ media: { volume: { accessMode: 'ReadWriteMany', size: '50Gi', storageClass: 'nfs' } } });
    const objects = Testing.synth(chart);
    const pvc = find(objects, 'PersistentVolumeClaim', 'tiny-media');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '50Gi' } }, storageClassName: 'nfs' });
    expect(pvc.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' });
    expect(find(objects, 'ConfigMap', 'tiny-env').data.S3_ENABLED).toBe('false');
    const c = environment.pods.railsContainer({ name: 'x', args: ['true'], resources: {} });
    expect(c.volumeMounts).toContainEqual({ name: 'media', mountPath: '/opt/mastodon/public/system' });
    for (const version of K8S_VERSIONS) expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('media must be exactly one of s3 and volume', () => {
    const s3 = tinyProps().media.s3!;
    expect(() => environmentChart({ media: {} })).toThrow(/^MastodonEnvironment tiny: set exactly one of media.s3/);
    expect(() => environmentChart({ media: { s3, volume: { accessMode: 'ReadWriteOnce', size: '1Gi' } } })).toThrow(/exactly one/);
  });

  test('the connection of a PostgresCluster: through its pooler, without prepared statements', () => {
    const chart = Testing.chart();
    const pg = new PostgresCluster(chart, 'pg', { instance: 'tiny', backup: BACKUP });
    const environment = new MastodonEnvironment(chart, 'env', tinyProps({ database: pg.connection }));
    expect(environment.plainEnv).toMatchObject({ DB_HOST: pg.connection.host, PREPARED_STATEMENTS: 'false' });
    expect(environment.plainEnv.DB_HOST).not.toBe(TINY_DATABASE.host);
  });
});

/**
 * A chart composed by hand (as in the README) holds every PriorityClass its pods name: a pod
 * whose priorityClassName does not exist is rejected by the API server.
 */
describe('PriorityClasses in a chart composed by hand', () => {
  function classesReferenced(objects: Manifest[]): string[] {
    const names = new Set<string>();
    for (const o of objects) {
      if (WORKLOAD_KINDS.includes(o.kind) && podSpecOf(o).priorityClassName) names.add(podSpecOf(o).priorityClassName);
      if (o.kind === 'Cluster' && o.spec.priorityClassName) names.add(o.spec.priorityClassName);
      if (o.kind === 'Pooler' && o.spec.template?.spec?.priorityClassName) names.add(o.spec.template.spec.priorityClassName);
    }
    return [...names].sort();
  }
  const classesMade = (objects: Manifest[]) => objects.filter((o) => o.kind === 'PriorityClass').map((o) => o.metadata.name).sort();
  const blank = () => new Chart(new App(), 'social', { namespace: 'mastodon', disableResourceNameHashes: true });

  test('without priorityClasses, none is made and no pod names one', () => {
    const chart = blank();
    const environment = new MastodonEnvironment(chart, 'Env', tinyProps({ instance: 'ocw' }));
    new MastodonWeb(chart, 'Web', { environment });
    const objects = chart.toJson() as Manifest[];
    expect(classesMade(objects)).toEqual([]);
    expect(classesReferenced(objects)).toEqual([]);
  });

  test('priorityClasses: true creates the set its pods use, each workload at its tier', () => {
    const chart = blank();
    const environment = new MastodonEnvironment(chart, 'Env', tinyProps({ instance: 'ocw', priorityClasses: true }));
    new MastodonStreaming(chart, 'Streaming', { environment });
    new Migrations(chart, 'Migrations', { environment });
    const tiers = (objects: Manifest[]) => Object.fromEntries(objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)).map((o) => [o.metadata.name, podSpecOf(o).priorityClassName]));
    new MastodonWeb(chart, 'Web', { environment });
    for (const p of resolved().sidekiq.processes) new SidekiqQueue(chart, `Sidekiq-${p.name}`, { environment, ...p });
    const objects = chart.toJson() as Manifest[];
    expect(classesReferenced(objects)).toEqual(['ocw-frontend', 'ocw-workers']);
    for (const name of classesReferenced(objects)) expect(classesMade(objects)).toContain(name);
    expect(environment.priorityClasses?.classes.frontend.name).toBe('ocw-frontend');
    expect(tiers(objects)).toMatchObject({ 'ocw-web': 'ocw-frontend', 'ocw-streaming': 'ocw-frontend', 'ocw-db-migrate-pre': 'ocw-workers' });
    for (const [name, tier] of Object.entries(tiers(objects))) if (name.startsWith('ocw-sidekiq-')) expect(tier).toBe('ocw-workers');
  });

  test('given PriorityClasses (shared with Postgres), the environment uses them and makes no second set', () => {
    const chart = blank();
    const priority = new PriorityClasses(chart, 'Priority', { instance: 'ocw', version: 'v4.7.2' });
    const postgres = new PostgresCluster(chart, 'Postgres', {
      instance: 'ocw', backup: BACKUP,
      priorityClassNames: { frontend: priority.classes.frontend.name, workers: priority.classes.workers.name },
    });
    const environment = new MastodonEnvironment(chart, 'Env', tinyProps({ instance: 'ocw', database: postgres.connection, priorityClasses: priority }));
    new MastodonWeb(chart, 'Web', { environment });
    const objects = chart.toJson() as Manifest[];
    expect(classesMade(objects)).toEqual(['ocw-data', 'ocw-frontend', 'ocw-workers']);
    for (const name of classesReferenced(objects)) expect(classesMade(objects)).toContain(name);
  });

  test('priorityClasses: true reuses the instance\'s set already in the App, in this chart or another', () => {
    const chart = blank();
    new PriorityClasses(chart, 'Priority', { instance: 'ocw', version: 'v4.7.2' });
    new MastodonEnvironment(chart, 'Env', tinyProps({ instance: 'ocw', priorityClasses: true }));
    const other = new Chart(chart.node.scope as App, 'other', { namespace: 'other' });
    new MastodonEnvironment(other, 'Env', tinyProps({ instance: 'ocw', priorityClasses: true }));
    expect(classesMade(chart.toJson() as Manifest[])).toEqual(['ocw-data', 'ocw-frontend', 'ocw-workers']);
    expect(classesMade(other.toJson() as Manifest[])).toEqual([]);
  });

  test('a second set of the same instance in the App is refused (PriorityClasses are cluster-wide: it would be emitted twice)', () => {
    const chart = blank();
    new MastodonEnvironment(chart, 'Env', tinyProps({ instance: 'ocw', priorityClasses: true }));
    expect(() => new PriorityClasses(chart, 'Priority', { instance: 'ocw', version: 'v4.7.2' }))
      .toThrow(/^PriorityClasses ocw: the App already holds this instance's PriorityClasses \(social\/Env\/Priority\)/);
    const other = new Chart(chart.node.scope as App, 'other');
    expect(() => new PriorityClasses(other, 'Priority', { instance: 'ocw', version: 'v4.7.2' })).toThrow(/already holds/);
    expect(() => new PriorityClasses(other, 'Priority2', { instance: 'another', version: 'v4.7.2' })).not.toThrow();
  });
});

describe('refused props: the config\'s refusals', () => {
  test('a URL as domain (it goes straight into LOCAL_DOMAIN, which can never change) and an upper-case webDomain: one error, each with the bare host to use', () => {
    let msg = '';
    try { environmentChart({ domain: 'https://Social.Example/', webDomain: 'Web.Social.Example' }); } catch (e) { msg = (e as Error).message; }
    expect(msg.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^ {2}domain: 'https:\/\/Social\.Example\/' is not a lower-case host name; set it to the bare host \('social\.example'\)/),
      expect.stringMatching(/^ {2}webDomain: 'Web\.Social\.Example' is not a lower-case host name; set it to the bare host \('web\.social\.example'\)/),
    ]);
  });

  test('punycode top-level domains are host names; a non-ASCII one is refused with its punycode form; webDomain is worded as the site\'s host', () => {
    expect(() => environmentChart({ domain: 'beispiel.xn--mnchen-3ya', webDomain: 'www.xn--p1ai' })).not.toThrow();
    let msg = '';
    try { environmentChart({ domain: 'beispiel.münchen', webDomain: 'Web.Social.Example' }); } catch (e) { msg = (e as Error).message; }
    const [domain, webDomain] = msg.split('\n').slice(1);
    expect(domain).toBe("  domain: 'beispiel.münchen' is not an ASCII host name; use its punycode form ('beispiel.xn--mnchen-3ya') (no scheme, no path, no port: it is part of every handle and cannot change later)");
    expect(webDomain).toMatch(/^ {2}webDomain: 'Web\.Social\.Example' is not a lower-case host name; set it to the bare host \('web\.social\.example'\) \(no scheme, no path, no port: the host the site is served from\)$/);
    // The config's words, from the same rule.
    const r = resolveConfig(withChange(exampleRaw(), (c) => { c.domain = 'beispiel.münchen'; c.webDomain = 'Web.Social.Example'; }));
    expect(r.ok ? [] : r.errors.map((e) => `  ${e.path}: ${e.message}`)).toEqual(expect.arrayContaining([domain, webDomain]));
    const ok = resolveConfig(withChange(exampleRaw(), (c) => { c.domain = 'beispiel.xn--mnchen-3ya'; }));
    expect(ok.ok ? [] : ok.errors).toEqual([]);
  });

  const rwo = { volume: { size: '10Gi', accessMode: 'ReadWriteOnce' as const } };
  test('ReadWriteOnce media while web runs 2 replicas and a Sidekiq queue 1: refused at synth, naming the workloads', () => {
    const { chart, environment } = environmentChart({ media: rwo });
    new MastodonWeb(chart, 'web', { environment });
    new SidekiqQueue(chart, 'sidekiq', { environment, name: 'all', queues: ['default'] });
    expect(() => Testing.synth(chart)).toThrow(/media\.volume\.accessMode: ReadWriteOnce attaches to one node, but 3 pods mount the media volume \(tiny-web: 2, tiny-sidekiq-all: 1\).*Use ReadWriteMany storage/);
  });

  test('ReadWriteOnce media with web at 1 replica and the cleanup CronJobs and migrations, which mount it too: refused, suggesting mediaNodes', () => {
    const { chart, environment } = environmentChart({ media: rwo });
    new MastodonWeb(chart, 'web', { environment, replicas: 1 });
    new MediaCleanup(chart, 'cleanup', { environment });
    new Migrations(chart, 'migrations', { environment });
    expect(() => Testing.synth(chart)).toThrow(
      /but 5 pods mount the media volume \(tiny-web: 1, tiny-media-remove: 1, tiny-preview-cards-remove: 1, tiny-db-migrate-pre: 1, tiny-db-migrate-post: 1\) and nothing keeps them on one node; .*Use ReadWriteMany storage \(e\.g\. NFS or Longhorn RWX\) or media\.s3, or set mediaNodes to the one node they run on/);
    const solo = environmentChart({ media: rwo, mediaNodes: ['solo'] });
    new MastodonWeb(solo.chart, 'web', { environment: solo.environment, replicas: 1 });
    new MediaCleanup(solo.chart, 'cleanup', { environment: solo.environment });
    expect(() => Testing.synth(solo.chart)).not.toThrow();
  });

  test('with the nodes known (mediaNodes), ReadWriteOnce is checked against them instead of the pods', () => {
    for (const [nodes, ok] of [[['solo'], true], [['a', 'b'], false]] as const) {
      const { chart, environment } = environmentChart({ media: rwo, mediaNodes: nodes });
      new MastodonWeb(chart, 'web', { environment });
      if (ok) expect(() => Testing.synth(chart)).not.toThrow();
      else expect(() => Testing.synth(chart)).toThrow(/can run on 2 nodes \(a, b\)/);
    }
  });

  test('ReadWriteOnce media with a single pod mounting it, or ReadWriteMany with many, synthesizes', () => {
    const one = environmentChart({ media: rwo });
    new MastodonWeb(one.chart, 'web', { environment: one.environment, replicas: 1 });
    expect(() => Testing.synth(one.chart)).not.toThrow();
    const many = environmentChart({ media: { volume: { size: '10Gi', accessMode: 'ReadWriteMany' } } });
    new MastodonWeb(many.chart, 'web', { environment: many.environment });
    expect(() => Testing.synth(many.chart)).not.toThrow();
  });
});

describe('the Sidekiq queues built on one environment, checked at synth', () => {
  test('a second group serving the scheduler (every periodic job enqueued twice) is refused', () => {
    const { chart, environment } = environmentChart();
    new SidekiqQueue(chart, 'a', { environment, name: 'a', queues: ['scheduler', 'default', 'push', 'pull'] });
    new SidekiqQueue(chart, 'b', { environment, name: 'b', queues: ['scheduler', 'ingress', 'mailers', 'fasp'] });
    expect(() => Testing.synth(chart)).toThrow(/SidekiqQueue tiny-sidekiq-b\.queues: 'scheduler' is already served by process 'tiny-sidekiq-a'; the scheduler queue must run in exactly one process/);
  });

  test('one scheduler group synthesizes', () => {
    const { chart, environment } = environmentChart();
    new SidekiqQueue(chart, 'a', { environment, name: 'a', queues: ['default', 'push', 'pull', 'ingress'] });
    new SidekiqQueue(chart, 'b', { environment, name: 'b', queues: ['scheduler', 'mailers', 'fasp'] });
    expect(() => Testing.synth(chart)).not.toThrow();
  });
});
