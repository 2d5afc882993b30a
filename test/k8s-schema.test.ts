import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { exampleRaw, render, ROOT, withChange } from './support/fixtures';

const validators = K8S_VERSIONS.map((v) => new K8sValidator(v));

function distObjects(): any[] {
  const dir = path.join(ROOT, 'dist');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()).filter((o) => o));
}

describe.each(validators.map((v) => [v.version, v] as const))('strict Kubernetes %s schema', (_version, validator) => {
  test('every object in dist/ validates', () => {
    const objects = distObjects();
    expect(objects.length).toBeGreaterThan(10);
    expect(validator.validateAll(objects)).toEqual([]);
  });

  test('a config with a media volume, external Redis and custom queues validates too', () => {
    const raw = withChange(exampleRaw(), (c) => {
      delete c.media.s3;
      c.media.volume = { accessMode: 'ReadWriteMany', size: '50Gi', storageClass: 'longhorn' };
      c.redis = { mode: 'external', host: 'redis.example.internal', passwordSecret: { name: 'redis', key: 'password' } };
      c.sidekiq.customQueues = ['search'];
      c.sidekiq.processes = [
        { name: 'main', replicas: 2, queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp', 'search'], scaling: { maxReplicas: 4 } },
        { name: 'scheduler', replicas: 1, queues: ['scheduler'] },
      ];
    });
    expect(validator.validateAll(render(raw))).toEqual([]);
  });

  test('a misspelt field fails, as kubectl --validate=strict would', () => {
    const deployment = render().find((o) => o.kind === 'Deployment')!;
    const bad = withChange(deployment, (d) => { d.spec.template.spec.containers[0].imagePullPolicyy = 'IfNotPresent'; });
    expect(validator.validate(bad).join('\n')).toMatch(/imagePullPolicyy/);
    const wrongType = withChange(deployment, (d) => { d.spec.replicas = 'two'; });
    expect(validator.validate(wrongType).join('\n')).toMatch(/replicas/);
  });

  test('an explicit null counts as absent', () => {
    const deployment = render().find((o) => o.kind === 'Deployment')!;
    expect(validator.validate(withChange(deployment, (d) => { d.spec.paused = null; }))).toEqual([]);
  });

  test('an unknown kind fails', () => {
    expect(validator.validate({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })).not.toEqual([]);
  });
});
