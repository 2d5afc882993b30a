/**
 * The real commands: `npm run synth` refuses bad input and leaves dist/ alone; `cdk8s synth`
 * honours MASTODON_CONFIG; `npm run secrets` prints to stdout only; `npm run plan`, `npm run
 * routes`, `npm run secrets -- --skeletons`. Each spawns npm, the require hook and the library (seconds
 * apiece on 2 cores), so they run here rather than in `npm test`, whose in-process tests cover
 * the same logic (bad-input, plan, public-routes, secret-skeletons).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { exampleRaw, ROOT, withChange } from '../support/fixtures';

jest.setTimeout(60_000);

function snapshotDir(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env } });
}

describe('npm run synth on invalid configs', () => {
  const dist = path.join(ROOT, 'dist');
  test.each([
    ['scheduler-twice.yaml', /sidekiq.processes\[1\].queues: 'scheduler' is already served by process 'main'/],
    ['yaml-syntax.yaml', /line 5: there are two 'key: value' pairs on one line/],
    ['web-memory-floor.yaml', /web.resources.requests.memory: 512Mi is below the 700Mi floor/],
    ['does-not-exist.yaml', /does not exist; set MASTODON_CONFIG/],
  ])('%s: exits non-zero, names the field and the fix, dist/ unchanged', (fixture, message) => {
    const before = snapshotDir(dist);
    const r = run('npm', ['run', '-s', 'synth'], { MASTODON_CONFIG: path.join(ROOT, 'test', 'fixtures', 'invalid', fixture) });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/dist\/ was left as it was/);
    expect(snapshotDir(dist)).toEqual(before);
  });
});

describe('cdk8s synth with MASTODON_CONFIG', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  test('a single-node arm64 config synthesizes into the given folder', () => {
    const out = path.join(tmp, 'out');
    const r = run(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '-o', out], { MASTODON_CONFIG: path.join(ROOT, 'test', 'fixtures', 'valid', 'single-node-arm64.yaml') });
    expect(r.status).toBe(0);
    const objects = parseAllDocuments(fs.readFileSync(path.join(out, 'mastodon.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    expect(objects.filter((o) => o.kind !== 'PriorityClass').every((o) => o.metadata.namespace === 'social')).toBe(true);
    expect(objects.find((o) => o.kind === 'PersistentVolumeClaim').spec.accessModes).toEqual(['ReadWriteOnce']);
  });
});

describe('npm run secrets', () => {
  test('prints a Secret to stdout and writes nothing', () => {
    const before = run('git', ['status', '--porcelain']).stdout;
    const r = run('npm', ['run', '-s', 'secrets', '--', '--name', 'x-keys', '--namespace', 'ns']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^apiVersion: v1\nkind: Secret/);
    expect(r.stdout).toMatch(/name: x-keys/);
    expect(run('git', ['status', '--porcelain']).stdout).toBe(before);
  });
});

describe('npm run plan', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-plan-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  test('the default app plans cleanly and writes the picture', () => {
    const r = run('npm', ['run', '-s', 'plan', '--', '--out', tmp]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Verdict: fits, survives the loss of any one node/);
    expect(fs.readFileSync(path.join(tmp, 'plan.svg'), 'utf8')).toMatch(/^<svg /);
    expect(fs.readFileSync(path.join(tmp, 'plan.png')).subarray(1, 4).toString()).toBe('PNG');
  });
  test('a plan that does not hold exits non-zero and names the pods', () => {
    const r = run('npm', ['run', '-s', 'plan', '--', '--out', tmp], { MASTODON_CONFIG: path.join(ROOT, 'test', 'fixtures', 'plan', 'one-small-vm.yaml') });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/Verdict: NOT OK/);
    expect(r.stdout).toMatch(/losing vm-1: no web replica survives/);
    expect(r.stdout).toMatch(/rolling out Deployment\/tiny-web: no amd64\/arm64 pool cloud node has 900Mi free .*the rollout stalls/);
  });
});

// Moved from test/public-routes.test.ts (the logic and the text stay in-process, now in test/tunnel.test.ts).
describe('npm run routes', () => {
  const remote = (c: any) => { c.tunnel = { mode: 'remote', tokenSecret: { name: 'ocw-tunnel-token', key: 'token' } }; };
  test('npm run routes prints them for a remote-mode config', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-routes-'));
    try {
      const file = path.join(dir, 'remote.yaml');
      fs.writeFileSync(file, stringify(withChange(exampleRaw(), remote)));
      const r = spawnSync('npm', ['run', '-s', 'routes'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MASTODON_CONFIG: file } });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Cloudflare dashboard/);
      expect(r.stdout).toMatch(/1\. ocw\.social +\^\/api\/v1\/streaming +http:\/\/ocw-streaming:4000/);
      expect(r.stdout).toMatch(/2\. ocw\.social +http:\/\/ocw-web:3000/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('npm run routes prints the single sign-on callback URLs, with no tunnel too', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-routes-'));
    try {
      const file = path.join(dir, 'sso.yaml');
      fs.writeFileSync(file, stringify(withChange(exampleRaw(), (c) => {
        delete c.tunnel;
        c.auth = { oidc: { displayName: 'Login', issuer: 'https://id.example.com', clientId: 'mastodon', clientSecret: { name: 'ocw-oidc', key: 'secret' } } };
      })));
      const r = spawnSync('npm', ['run', '-s', 'routes'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MASTODON_CONFIG: file } });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('Single sign-on: register these at the identity provider:\n  OpenID Connect redirect URI: https://ocw.social/auth/auth/openid_connect/callback\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Moved from test/secret-skeletons.test.ts (the skeleton logic stays in-process, now in test/secrets.test.ts).
describe('npm run secrets -- --skeletons', () => {
  test('npm run secrets -- --skeletons prints each Secret to fill in, with placeholders, and no values', () => {
    const r = spawnSync('npm', ['run', '-s', 'secrets', '--', '--skeletons'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    const s3 = docs.find((d) => d.metadata.name === 'ocw-backup-s3');
    expect(s3).toMatchObject({ kind: 'Secret', metadata: { namespace: 'mastodon' } });
    expect(Object.keys(s3.stringData)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(Object.values(s3.stringData).every((v) => String(v).startsWith('REPLACE'))).toBe(true);
    expect(r.stdout).toMatch(/# used by: .*ObjectStore\/ocw-db-store/);
  });
});
