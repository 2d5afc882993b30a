/**
 * The whole output against the hardening bar: pod policy, and no secret anywhere it could leak.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { POD_POLICY_EXEMPTIONS } from '../lib/conventions/security';
import { ForgivenLog, podPolicyOffences } from './support/pod-policy';
import { scanObjects, scanText, looksSecret } from './support/secret-scan';
import { exampleRaw, render, ROOT, withChange } from './support/fixtures';
import { generateMastodonSecrets } from '../lib/app/secrets';
import { netcheckManifests } from '../lib/netcheck/manifests';
import { IMAGES } from '../lib/rules/images';

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => path.join(d.parentPath, d.name));
}
const objectsIn = (file: string) => parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((o) => o);
const distFiles = yamlFiles(path.join(ROOT, 'dist'));

describe('pod policy', () => {
  test('the default app has zero offenders', () => {
    expect(distFiles.length).toBeGreaterThan(0);
    expect(distFiles.flatMap((f) => podPolicyOffences(objectsIn(f)))).toEqual([]);
  });
  test('maintenance, an external Redis and a media volume also pass', () => {
    const o = render(withChange(exampleRaw(), (c) => {
      c.maintenance = { enabled: true, stopWorkloads: true };
      delete c.media.s3;
      c.media.volume = { accessMode: 'ReadWriteMany', size: '50Gi' };
      c.redis = { mode: 'external', host: 'redis.lan' };
    }));
    expect(podPolicyOffences(o)).toEqual([]);
  });
  test('every exemption in POD_POLICY_EXEMPTIONS forgives a real offence of a rendered object (no stale exemption)', () => {
    const log: ForgivenLog = new Map();
    const everything = [
      ...distFiles.flatMap(objectsIn),
      ...Object.values(netcheckManifests({ nodes: ['a', 'b'], image: IMAGES.netcheck }).files).flat(),
    ];
    expect(podPolicyOffences(everything, log)).toEqual([]);
    const unused = POD_POLICY_EXEMPTIONS.filter((_e, i) => !log.has(i)).map((e) => `${e.kind} ${e.component}: ${e.rules.join(', ')}`);
    expect(unused).toEqual([]);
    // Each forgives only the rules it names.
    POD_POLICY_EXEMPTIONS.forEach((e, i) => {
      for (const line of log.get(i)!) expect(e.rules.some((r) => line.endsWith(`: ${r}`))).toBe(true);
    });
  });
  test('an exemption that matches nothing is found', () => {
    const log: ForgivenLog = new Map();
    podPolicyOffences(distFiles.flatMap(objectsIn), log);
    const netcheck = POD_POLICY_EXEMPTIONS.findIndex((e) => e.appName === 'netcheck');
    expect(netcheck).toBeGreaterThanOrEqual(0);
    expect(log.has(netcheck)).toBe(false); // dist/ has no network-doctor Job: only the netcheck manifests use it
  });
  test('it lists each offender by object and container', () => {
    const bad = {
      kind: 'Deployment', metadata: { name: 'bad' },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:latest', securityContext: { runAsUser: 0 } }] } } },
    };
    const offences = podPolicyOffences([bad]);
    expect(offences).toEqual(expect.arrayContaining([
      'Deployment/bad: mounts the default service account token (set automountServiceAccountToken: false)',
      'Deployment/bad container app: runAsNonRoot is not true',
      'Deployment/bad container app: no numeric non-root runAsUser',
      'Deployment/bad container app: root filesystem is writable',
      'Deployment/bad container app: capabilities are not dropped (drop: [ALL])',
      'Deployment/bad container app: no memory limit',
      'Deployment/bad container app: image nginx:latest is not pinned (latest)',
      'Deployment/bad container app: imagePullPolicy is unset, not IfNotPresent',
      'Deployment/bad container app: no readiness probe',
      'Deployment/bad container app: no liveness probe',
    ]));
  });
});

describe('no secrets in output', () => {
  const helmFiles = yamlFiles(path.join(ROOT, 'chart'));
  test('dist/ and the Helm chart hold no Secret values, keys or high-entropy literals', () => {
    const offences = [...distFiles, ...helmFiles].flatMap((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return [...scanText(f, text), ...(/\{\{/.test(text) ? [] : scanObjects(f, objectsIn(f)))];
    });
    expect(offences).toEqual([]);
  });
  test('the scanner catches what it is for', () => {
    const fresh = generateMastodonSecrets();
    expect(scanObjects('x', [{ kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'b' } }])).toEqual(['x Secret/s: a Secret with values']);
    expect(scanObjects('x', [{ kind: 'Deployment', metadata: { name: 'd' }, spec: { containers: [{ env: [{ name: 'SECRET_KEY_BASE', value: fresh.SECRET_KEY_BASE }] }] } }]))
      .toEqual(['x Deployment/d.spec.containers[0].env SECRET_KEY_BASE: high-entropy literal']);
    expect(scanObjects('x', [{ kind: 'ConfigMap', metadata: { name: 'c' }, data: { OTP: fresh.ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY } }])).toHaveLength(1);
    expect(scanText('x', '-----BEGIN EC PRIVATE KEY-----\nMHc...')).toEqual(['x: contains a private key']);
    expect(scanText('x', 'key: AKIAIOSFODNN7EXAMPLE')).toEqual(['x: contains an access key id']);
    expect(looksSecret('127.0.0.1/32 ::1/128 10.42.0.0/16')).toBe(false);
    expect(looksSecret('https://s3.eu-central-003.backblazeb2.com')).toBe(false);
    expect(looksSecret('sidekiq_process_has_started_and_will_begin_processing_jobs')).toBe(false);
  });
});
