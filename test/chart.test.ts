import { Manifest } from '../lib';
import { exampleRaw, find, podMetaOf, podSpecOf, render, withChange, WORKLOAD_KINDS } from './support/fixtures';
import { MASTODON_SECRET_KEYS } from '../lib/rules/environment';

const objects = render();
const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
const containersOf = (o: Manifest): any[] => podSpecOf(o).containers;
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('the default app', () => {
  test('every name is the instance name plus a part, with no hash, in the configured namespace', () => {
    for (const o of objects) {
      expect(o.metadata.name).toMatch(/^ocw-[a-z0-9-]+$/);
      expect(o.metadata.name).not.toMatch(/-[0-9a-f]{8}$/);
      // PriorityClasses are cluster-scoped: no namespace.
      expect(o.metadata.namespace).toBe(o.kind === 'PriorityClass' ? undefined : 'mastodon');
    }
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Cluster/ocw-db',
      'ConfigMap/ocw-env', 'ConfigMap/ocw-tunnel',
      'CronJob/ocw-db-amcheck', 'CronJob/ocw-db-snapshot-retention',
      'CronJob/ocw-media-remove', 'CronJob/ocw-preview-cards-remove',
      'Deployment/ocw-sidekiq-default', 'Deployment/ocw-sidekiq-pull', 'Deployment/ocw-sidekiq-push',
      'Deployment/ocw-streaming', 'Deployment/ocw-tunnel', 'Deployment/ocw-web',
      'Job/ocw-db-migrate-post', 'Job/ocw-db-migrate-pre',
      ...['amcheck', 'default-deny', 'dns', 'jobs', 'maintenance', 'pooler', 'postgres', 'redis', 'sidekiq', 'snapshot-retention', 'streaming', 'tunnel', 'web']
        .map((n) => `NetworkPolicy/ocw-netpol-${n}`),
      'ObjectStore/ocw-db-store',
      'PodDisruptionBudget/ocw-db-pooler', 'PodDisruptionBudget/ocw-sidekiq-pull', 'PodDisruptionBudget/ocw-sidekiq-push',
      'PodDisruptionBudget/ocw-streaming', 'PodDisruptionBudget/ocw-tunnel', 'PodDisruptionBudget/ocw-web',
      'Pooler/ocw-db-pooler',
      'PriorityClass/ocw-data', 'PriorityClass/ocw-frontend', 'PriorityClass/ocw-workers',
      'Role/ocw-db-snapshot-retention', 'RoleBinding/ocw-db-snapshot-retention',
      'ScaledObject/ocw-sidekiq-pull', 'ScaledObject/ocw-sidekiq-push',
      'ScheduledBackup/ocw-db-base', 'ScheduledBackup/ocw-db-snapshot',
      'Service/ocw-redis', 'Service/ocw-streaming', 'Service/ocw-web',
      'ServiceAccount/ocw-db-snapshot-retention',
      'StatefulSet/ocw-redis',
    ]);
  });

  test('standard labels on every object and every pod template', () => {
    const keys = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'];
    for (const o of objects) {
      expect(Object.keys(o.metadata.labels ?? {})).toEqual(expect.arrayContaining(keys));
      expect(o.metadata.labels!['app.kubernetes.io/instance']).toBe('ocw');
    }
    for (const w of workloads) expect(Object.keys(podMetaOf(w).labels)).toEqual(expect.arrayContaining(keys));
    expect(find(objects, 'Deployment', 'ocw-web').metadata.labels!['app.kubernetes.io/component']).toBe('web');
    expect(find(objects, 'Job', 'ocw-db-migrate-pre').metadata.labels!['app.kubernetes.io/component']).toBe('migrate');
  });

  test('selectors never include the version, so an upgrade can keep them', () => {
    for (const o of objects.filter((x) => ['Deployment', 'StatefulSet', 'PodDisruptionBudget'].includes(x.kind))) {
      expect(Object.keys(o.spec.selector.matchLabels)).not.toContain('app.kubernetes.io/version');
    }
    for (const s of objects.filter((x) => x.kind === 'Service')) expect(Object.keys(s.spec.selector)).not.toContain('app.kubernetes.io/version');
  });

  test('each Service selects exactly its own pods', () => {
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const matching = workloads.filter((w) => w.kind !== 'Job' && w.kind !== 'CronJob' && Object.entries(svc.spec.selector).every(([k, v]) => podMetaOf(w).labels[k] === v));
      expect(matching.map((w) => w.metadata.name)).toEqual([svc.metadata.name]);
    }
  });
});

describe('every pod', () => {
  test.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w]))('%s: pinned image, IfNotPresent, numeric non-root uid, locked down', (_n, w) => {
    const spec = podSpecOf(w);
    // Only a pod with its own least-privilege ServiceAccount may mount a token.
    expect(spec.automountServiceAccountToken).toBe(spec.serviceAccountName !== undefined);
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of spec.containers) {
      expect(c.image).toMatch(/:[A-Za-z0-9._-]+$/);
      expect(c.image).not.toMatch(/:latest$/);
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(typeof c.securityContext.runAsUser).toBe('number');
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
      expect(c.resources.limits.cpu).toBeUndefined();
      if (c.image.startsWith('ghcr.io/mastodon/')) {
        expect(c.securityContext.runAsUser).toBe(991);
        expect(spec.securityContext).toMatchObject({ runAsUser: 991, runAsGroup: 991, fsGroup: 991 });
      }
    }
  });

  test.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w]))('%s: required affinity on the image architectures and the pool', (_n, w) => {
    const terms = podSpecOf(w).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toHaveLength(1);
    const byKey = Object.fromEntries(terms[0].matchExpressions.map((e: any) => [e.key, e]));
    expect(byKey['kubernetes.io/arch']).toEqual({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] });
    expect(byKey['node-pool'].operator).toBe('In');
  });

  test('long-running containers have readiness and liveness probes', () => {
    for (const w of workloads.filter((x) => ['Deployment', 'StatefulSet'].includes(x.kind))) {
      for (const c of containersOf(w)) {
        expect(c.readinessProbe).toBeDefined();
        expect(c.startupProbe).toBeDefined();
        // Sidekiq has no liveness probe that could fail (see the sidekiq describe below).
        if (c.name !== 'sidekiq') expect(c.livenessProbe).toBeDefined();
      }
    }
  });

  test('Rails pods mount writable /opt/mastodon/tmp and /tmp over the read-only root', () => {
    for (const w of workloads.filter((x) => containersOf(x)[0].image.startsWith('ghcr.io/mastodon/mastodon:'))) {
      const mounts = containersOf(w)[0].volumeMounts.map((m: any) => m.mountPath);
      expect(mounts).toEqual(expect.arrayContaining(['/opt/mastodon/tmp', '/tmp']));
      const volumes = podSpecOf(w).volumes.map((v: any) => v.name);
      expect(volumes).toEqual(expect.arrayContaining(['tmp', 'tmp-root']));
    }
  });
});

describe('secrets are only referenced', () => {
  test('no Secret object, and every key of the Mastodon Secret is referenced by name', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const web = envOf(containersOf(find(objects, 'Deployment', 'ocw-web'))[0]);
    for (const k of MASTODON_SECRET_KEYS) expect(web[k]).toEqual({ secretKeyRef: { name: 'ocw-mastodon-secrets', key: k } });
    // The password CloudNativePG generates for the application user.
    expect(web.DB_PASS).toEqual({ secretKeyRef: { name: 'ocw-db-app', key: 'password' } });
    expect(web.AWS_ACCESS_KEY_ID).toEqual({ secretKeyRef: { name: 'ocw-s3', key: 'AWS_ACCESS_KEY_ID' } });
    expect(web.SMTP_PASSWORD).toEqual({ secretKeyRef: { name: 'ocw-smtp', key: 'password' } });
  });
});

describe('the env ConfigMap', () => {
  const cm = find(objects, 'ConfigMap', 'ocw-env');
  test('holds the plain settings', () => {
    expect(cm.data).toMatchObject({
      LOCAL_DOMAIN: 'ocw.social', RAILS_ENV: 'production', DB_HOST: 'ocw-db-pooler', DB_PORT: '5432', DB_NAME: 'mastodon', DB_USER: 'mastodon',
      PREPARED_STATEMENTS: 'false',
      REDIS_HOST: 'ocw-redis', REDIS_PORT: '6379', S3_ENABLED: 'true', S3_BUCKET: 'ocw-social-media', S3_ALIAS_HOST: 'media.ocw.social',
      S3_ENDPOINT: 'https://s3.eu-central-003.backblazeb2.com', S3_HOSTNAME: 's3.eu-central-003.backblazeb2.com', S3_PROTOCOL: 'https',
      SMTP_SERVER: 'smtp.eu.mailgun.org', SMTP_PORT: '587', SMTP_LOGIN: 'postmaster@mg.ocw.social',
      TRUSTED_PROXY_IP: '127.0.0.1/32 ::1/128 10.42.0.0/16',
    });
    for (const k of Object.keys(cm.data)) expect(k).not.toMatch(/PASS|SECRET|KEY_BASE|PRIVATE/);
  });
  test('long-running pods roll when it changes', () => {
    const checksum = (o: Manifest) => podMetaOf(o).annotations['checksum/env'];
    const before = checksum(find(objects, 'Deployment', 'ocw-web'));
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    const changed = render(withChange(exampleRaw(), (c) => { c.smtp.port = 465; }));
    expect(checksum(find(changed, 'Deployment', 'ocw-web'))).not.toBe(before);
    expect(checksum(find(changed, 'Deployment', 'ocw-sidekiq-push'))).not.toBe(before);
  });
});

// aws-sdk-s3 >= 1.178 sends x-amz-checksum-crc32 on PutObject unless told not to; Backblaze B2 and
// other S3-compatible stores reject it (mastodon/mastodon#33624).
describe('media on S3-compatible storage: the SDK checksum settings', () => {
  const checksums = (o: Manifest[]) => {
    const d = find(o, 'ConfigMap', 'ocw-env').data;
    return [d.AWS_REQUEST_CHECKSUM_CALCULATION, d.AWS_RESPONSE_CHECKSUM_VALIDATION];
  };
  test('a non-AWS endpoint (the example: B2) gets when_required for both', () => {
    expect(checksums(objects)).toEqual(['when_required', 'when_required']);
  });
  test('an AWS endpoint keeps the SDK default (no variables)', () => {
    const o = render(withChange(exampleRaw(), (c) => { c.media.s3.endpoint = 'https://s3.eu-central-1.amazonaws.com'; c.media.s3.region = 'eu-central-1'; }));
    expect(checksums(o)).toEqual([undefined, undefined]);
  });
  test('media.s3.checksums overrides the choice, and the pods roll', () => {
    const o = render(withChange(exampleRaw(), (c) => { c.media.s3.checksums = 'when_supported'; }));
    expect(checksums(o)).toEqual(['when_supported', 'when_supported']);
    const sum = (x: Manifest[]) => podMetaOf(find(x, 'Deployment', 'ocw-web')).annotations['checksum/env'];
    expect(sum(o)).not.toBe(sum(objects));
  });
  test('the Rails pods read them from the env ConfigMap', () => {
    const web = containersOf(find(objects, 'Deployment', 'ocw-web'))[0];
    expect(web.envFrom).toContainEqual({ configMapRef: { name: 'ocw-env' } });
  });
});

// MastodonWeb's own behaviour: test/constructs/mastodon-web.test.ts; MastodonStreaming's: test/constructs/mastodon-streaming.test.ts.

// SidekiqQueue's own behaviour (queues, ready file, probes, strategy, pools, PDB): test/constructs/sidekiq-queue.test.ts.
describe('Sidekiq from the config', () => {
  test('a memory request below 512Mi is refused', () => {
    expect(() => render(withChange(exampleRaw(), (c) => { c.sidekiq.processes[2].resources.requests.memory = '500Mi'; })))
      .toThrow(/sidekiq.processes\[2\].resources.requests.memory: 500Mi is below the 512Mi floor/);
  });
});

describe('architecture', () => {
  test('an image override narrows the arch affinity to what it is built for', () => {
    const o = render(withChange(exampleRaw(), (c) => {
      c.mastodon.image = { repository: 'registry.example/mastodon', tag: 'v4.7.2-ocw1', architectures: ['amd64'] };
      for (const p of c.sidekiq.processes) { p.pool = 'cloud'; delete p.fallbackPool; }
    }));
    const arch = (w: Manifest) => podSpecOf(w).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions
      .find((e: any) => e.key === 'kubernetes.io/arch').values;
    expect(arch(find(o, 'Deployment', 'ocw-web'))).toEqual(['amd64']);
    expect(arch(find(o, 'Deployment', 'ocw-sidekiq-push'))).toEqual(['amd64']);
    expect(arch(find(o, 'Deployment', 'ocw-streaming'))).toEqual(['amd64', 'arm64']);
    expect(containersOf(find(o, 'Deployment', 'ocw-web'))[0].image).toBe('registry.example/mastodon:v4.7.2-ocw1');
  });
});

// Redis's own behaviour (AOF, maxmemory, pool, probes, exporter): test/constructs/redis.test.ts.
describe('Redis', () => {
  test('a password comes from a Secret, and the probes use it', () => {
    const o = render(withChange(exampleRaw(), (c) => { c.redis.passwordSecret = { name: 'ocw-redis', key: 'password' }; }));
    const rc = containersOf(find(o, 'StatefulSet', 'ocw-redis'))[0];
    expect(rc.args.slice(-2)).toEqual(['--requirepass', '$(REDIS_PASSWORD)']);
    expect(envOf(rc).REDISCLI_AUTH).toEqual({ secretKeyRef: { name: 'ocw-redis', key: 'password' } });
    expect(envOf(containersOf(find(o, 'Deployment', 'ocw-web'))[0]).REDIS_PASSWORD).toEqual({ secretKeyRef: { name: 'ocw-redis', key: 'password' } });
  });
  test('external Redis: no StatefulSet, REDIS_HOST points at it', () => {
    const o = render(withChange(exampleRaw(), (c) => { c.redis = { mode: 'external', host: 'redis.lan', port: 6380 }; }));
    expect(o.filter((x) => x.metadata.name === 'ocw-redis')).toEqual([]);
    expect(find(o, 'ConfigMap', 'ocw-env').data).toMatchObject({ REDIS_HOST: 'redis.lan', REDIS_PORT: '6380' });
  });
});

describe('media without object storage', () => {
  const o = render(withChange(exampleRaw(), (c) => {
    delete c.media.s3;
    c.media.volume = { accessMode: 'ReadWriteMany', size: '100Gi', storageClass: 'nfs' };
  }));
  test('a ReadWriteMany PVC, mounted at public/system by web, Sidekiq and the cleanup jobs, never pruned', () => {
    const pvc = find(o, 'PersistentVolumeClaim', 'ocw-media');
    expect(pvc.spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'nfs' });
    expect(pvc.metadata.annotations!['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    for (const n of ['ocw-web', 'ocw-sidekiq-push']) {
      expect(containersOf(find(o, 'Deployment', n))[0].volumeMounts).toContainEqual({ name: 'media', mountPath: '/opt/mastodon/public/system' });
    }
    expect(containersOf(find(o, 'CronJob', 'ocw-media-remove'))[0].volumeMounts).toContainEqual({ name: 'media', mountPath: '/opt/mastodon/public/system' });
    expect(containersOf(find(o, 'Deployment', 'ocw-streaming'))[0].volumeMounts).not.toContainEqual(expect.objectContaining({ name: 'media' }));
    expect(find(o, 'ConfigMap', 'ocw-env').data.S3_ENABLED).toBe('false');
  });
});

describe('migrations', () => {
  const pre = find(objects, 'Job', 'ocw-db-migrate-pre');
  const post = find(objects, 'Job', 'ocw-db-migrate-post');
  // The Jobs themselves (args, inline env, the primary, Helm hooks): test/constructs/migrations.test.ts.
  test('Argo CD: pre is a Sync hook between the data and the workloads; post is PostSync', () => {
    expect(pre.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '0', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(post.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PostSync' });
    const wave = (o: Manifest) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    expect(wave(find(objects, 'StatefulSet', 'ocw-redis'))).toBeLessThan(wave(pre));
    expect(wave(find(objects, 'ConfigMap', 'ocw-env'))).toBeLessThan(wave(pre));
    for (const d of objects.filter((x) => x.kind === 'Deployment')) expect(wave(d)).toBeGreaterThan(wave(pre));
  });
});

// MediaCleanup's CronJobs: test/constructs/media-cleanup.test.ts.

/**
 * The example's Sidekiq groups. Defect 7 (a restarted Sidekiq container must not be ready before
 * Sidekiq has started again; no liveness probe that cannot fail) is tested on the construct in
 * test/constructs/sidekiq-queue.test.ts, and run for real in test/integration/sidekiq.itest.ts.
 */
describe('the example Sidekiq groups', () => {
  const objects = render();
  const sidekiqs = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('ocw-sidekiq-'));
  const containerOf = (o: any) => podSpecOf(o).containers[0];

  test('three Sidekiq Deployments are rendered', () => {
    expect(sidekiqs.map((o) => o.metadata.name).sort()).toEqual(['ocw-sidekiq-default', 'ocw-sidekiq-pull', 'ocw-sidekiq-push']);
  });

  test('the scheduler process leads with scheduler', () => {
    const line = containerOf(find(objects, 'Deployment', 'ocw-sidekiq-default')).args[2];
    expect(line).toMatch(/exec bundle exec sidekiq -c 10 -t 25 -q scheduler -q mailers -q default -q ingress -q push -q pull -q fasp$/);
  });
});

// Formerly test/priority.test.ts (one file less for jest to load the library into).
describe('priority: when memory runs short, Sidekiq goes first', () => {
  const objects = render();
  const classOf = (kind: string, name: string) => {
    const o = find(objects, kind, name);
    return kind === 'Cluster' ? o.spec.priorityClassName : kind === 'Pooler' ? o.spec.template.spec.priorityClassName : podSpecOf(o).priorityClassName;
  };

  describe('priorities: when memory runs short, Sidekiq goes first', () => {
    // The classes themselves (values, preemption): test/constructs/priority-classes.test.ts.
    test.each([
      ['Deployment', 'ocw-web', 'ocw-frontend'], ['Deployment', 'ocw-streaming', 'ocw-frontend'], ['Deployment', 'ocw-tunnel', 'ocw-frontend'],
      ['Cluster', 'ocw-db', 'ocw-frontend'], ['Pooler', 'ocw-db-pooler', 'ocw-frontend'],
      ['StatefulSet', 'ocw-redis', 'ocw-data'],
      ['Deployment', 'ocw-sidekiq-default', 'ocw-workers'], ['Deployment', 'ocw-sidekiq-push', 'ocw-workers'],
      ['Job', 'ocw-db-migrate-pre', 'ocw-workers'], ['CronJob', 'ocw-media-remove', 'ocw-workers'], ['CronJob', 'ocw-db-amcheck', 'ocw-workers'],
    ])('%s/%s runs at %s', (kind, name, cls) => {
      expect(classOf(kind, name)).toBe(cls);
    });
    test('every pod this chart makes has a class', () => {
      for (const w of objects.filter((o) => WORKLOAD_KINDS.includes(o.kind))) {
        expect([w.metadata.name, podSpecOf(w).priorityClassName]).toEqual([w.metadata.name, expect.stringMatching(/^ocw-(frontend|data|workers)$/)]);
      }
    });
  });
});
