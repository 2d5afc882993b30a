/**
 * The strict validator's cache folder (lib/tools/k8s-validator.ts, used by the unit suite's
 * test/support/k8s-validator.ts): compiled code is kept, reused without compiling, and never met
 * by a changed validator. Here, not in the unit suite, because each case compiles validators from
 * a cold folder (seconds of CPU), and one writes a changed copy of the module beside it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { K8sValidator, VALIDATOR_CACHE } from '../support/k8s-validator';
import { ROOT, withChange } from '../support/fixtures';

function distObjects(): any[] {
  const dir = path.join(ROOT, 'dist');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()).filter((o) => o));
}

describe('compiled validators kept in a cache folder', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-validator-cache-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a second validator loads the kept code and judges exactly as a freshly compiled one', () => {
    // One built-in kind and one small CRD: compiling more would only cost time.
    const objects = distObjects().filter((o) => o.kind === 'Deployment' || o.kind === 'ScheduledBackup');
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const backup = objects.find((o) => o.kind === 'ScheduledBackup');
    const bad = [
      withChange(deployment, (d) => { d.spec.template.spec.containers[0].imagePullPolicyy = 'IfNotPresent'; }),
      withChange(backup, (b) => { b.spec.schedulee = '0 0 0 * * 0'; }),
      withChange(deployment, (d) => { d.spec.replicas = 'two'; }),
    ];
    const writer = new K8sValidator('v1.30.0', { cacheDir: dir });
    expect(writer.validateAll(objects)).toEqual([]);
    const fresh = bad.map((o) => writer.validate(o));
    const kept = fs.readdirSync(dir);
    expect(kept.filter((f) => /^v1\.30\.0-\w+-\w+-index\.json$/.test(f))).toHaveLength(1);
    expect(kept.filter((f) => /^v1\.30\.0-\w+-io\.k8s\.api\.apps\.v1\.Deployment\.js$/.test(f))).toHaveLength(1);
    // CRD code is the same for every Kubernetes version: kept once.
    expect(kept.filter((f) => /^crd-\w+-crd_postgresql\.cnpg\.io_v1_ScheduledBackup\.js$/.test(f))).toHaveLength(1);
    // A new validator on the same folder compiles nothing: the kept files are its only source.
    const reader = new K8sValidator('v1.30.0', { cacheDir: dir });
    const compiles = jest.spyOn(reader as any, 'compilerState', 'get');
    expect(reader.validateAll(objects)).toEqual([]);
    const judged = bad.map((o) => reader.validate(o));
    expect(compiles).not.toHaveBeenCalled();
    expect(judged).toEqual(fresh);
    expect(judged.map((e) => e.join('\n'))).toEqual([expect.stringMatching(/imagePullPolicyy/), expect.stringMatching(/schedulee/), expect.stringMatching(/replicas/)]);
    expect(reader.validate({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })).not.toEqual([]);
  });

  test("a change to the validator's own code (here: ajv options) never meets code compiled by the old one", () => {
    // A copy of the module beside it, with allErrors off: the same schemas, other compiled code.
    const src = path.join(ROOT, 'lib', 'tools', 'k8s-validator.ts');
    const copy = path.join(ROOT, 'lib', 'tools', `.k8s-validator-copy-${process.pid}.ts`);
    const text = fs.readFileSync(src, 'utf8');
    expect(text).toContain('allErrors: true');
    const deployment = distObjects().find((o) => o.kind === 'Deployment');
    const twoErrors = withChange(deployment, (d) => { d.spec.replicas = 'two'; d.spec.revisionHistoryLimit = 'ten'; });
    const own = path.join(dir, 'own-code');
    expect(new K8sValidator('v1.30.0', { cacheDir: own }).validate(twoErrors)).toHaveLength(2);
    fs.writeFileSync(copy, text.replace('allErrors: true', 'allErrors: false'));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the copy this test just wrote, by its path
      const changed = require(copy) as typeof import('../../lib/tools/k8s-validator');
      expect(new changed.K8sValidator('v1.30.0', { cacheDir: own }).validate(twoErrors)).toHaveLength(1);
    } finally {
      fs.rmSync(copy, { force: true });
    }
  });

  test('prepare() compiles a kind into the folder without loading it; a later validator loads that code (the unit suite fills the cache once this way: test/support/warm-caches.ts)', () => {
    const warm = path.join(dir, 'warm');
    const writer = new K8sValidator('v1.30.0', { cacheDir: warm });
    expect(writer.crdKinds()).toEqual(expect.arrayContaining([{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'ScheduledBackup' }]));
    expect(writer.crdKinds().length).toBeGreaterThanOrEqual(10);
    expect(writer.prepare('v1', 'ConfigMap')).toBe(true);
    expect(writer.prepare('postgresql.cnpg.io/v1', 'ScheduledBackup')).toBe(true);
    expect(writer.prepare('apps/v1', 'Deploymnet')).toBe(false);
    const kept = fs.readdirSync(warm);
    expect(kept.filter((f) => /^v1\.30\.0-\w+-io\.k8s\.api\.core\.v1\.ConfigMap\.js$/.test(f))).toHaveLength(1);
    expect(kept.filter((f) => /^crd-\w+-crd_postgresql\.cnpg\.io_v1_ScheduledBackup\.js$/.test(f))).toHaveLength(1);
    // Already kept: prepare() neither compiles nor loads it again.
    const again = new K8sValidator('v1.30.0', { cacheDir: warm });
    const compiles = jest.spyOn(again as any, 'compilerState', 'get');
    const loads = jest.spyOn(fs, 'readFileSync');
    expect(again.prepare('v1', 'ConfigMap')).toBe(true);
    expect(loads.mock.calls.filter(([f]) => String(f).endsWith('ConfigMap.js'))).toEqual([]);
    loads.mockRestore();
    // And a validator judges with the kept code, compiling nothing.
    const bad = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, dataa: {} };
    expect(again.validate(bad).join('\n')).toMatch(/dataa/);
    expect(again.validate({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'ScheduledBackup', metadata: { name: 'b' }, spec: { schedule: '0 0 0 * * 0', cluster: { name: 'c' } } })).toEqual([]);
    expect(compiles).not.toHaveBeenCalled();
  });

  test('the tests keep theirs under node_modules/.cache, named by version and content hash', () => {
    expect(VALIDATOR_CACHE).toBe(path.join(ROOT, 'node_modules', '.cache', 'cdk8s-mastodon', 'k8s-validator'));
  });
});
