/**
 * `npm run synth` (package.json's command: scripts/synth.ts compiled by tsc into build/, one Node
 * process, no cdk8s CLI) against the real thing: the cdk8s CLI running the cdk8s.yaml app
 * (ts-node, main.ts) must write the same bytes, for the example, a small and a large config.
 * And a synth killed at any moment leaves its target either as it was or complete, never
 * half-written.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { largeConfig } from '../../scripts/large-config';
import { run, scratchDir, sleep } from './support/servers';

const ROOT = path.join(__dirname, '..', '..');
/** What package.json's `synth` runs after its incremental build: the compiled script, one process. */
const SYNTH = [process.execPath, path.join(ROOT, 'build', 'scripts', 'synth.js')];
const ENV = { CDK8S_CHECK_UPGRADE: 'false', HOME: process.env.HOME };

function tree(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

let tmp: string;
beforeAll(() => {
  expect(run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.build.json'], { cwd: ROOT, timeoutMs: 300_000 }).status).toBe(0);
  tmp = scratchDir('synth-eq');
  fs.writeFileSync(path.join(tmp, 'large.yaml'), stringify(largeConfig()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.each([
  ['the example', ''],
  ['single-node arm64', path.join(ROOT, 'test', 'fixtures', 'valid', 'single-node-arm64.yaml')],
  ['100 Sidekiq processes on 30 nodes', 'large.yaml'],
])('%s: npm run synth writes the same bytes as the real cdk8s synth', (_name, config) => {
  const file = config && !path.isAbsolute(config) ? path.join(tmp, config) : config;
  const cli = path.join(tmp, `cli-${_name.replace(/\W/g, '_')}`);
  const fast = path.join(tmp, `fast-${_name.replace(/\W/g, '_')}`);
  const a = run(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--output', cli], { cwd: ROOT, env: { ...ENV, MASTODON_CONFIG: file }, timeoutMs: 120_000 });
  expect(a.status).toBe(0);
  const b = run('npm', ['run', '-s', 'synth', '--', '--output', fast], { cwd: ROOT, env: { ...ENV, MASTODON_CONFIG: file } });
  expect(b.status).toBe(0);
  // The same warnings, on stderr, and nothing else there.
  const warnings = (s: string) => s.split('\n').filter((l) => l.startsWith('warning: '));
  expect(warnings(b.stderr)).toEqual(warnings(`${a.stdout}\n${a.stderr}`));
  expect(b.stderr.trim()).toBe(warnings(b.stderr).join('\n'));
  expect(Object.keys(tree(cli)).length).toBeGreaterThanOrEqual(1);
  expect(tree(fast)).toEqual(tree(cli));
});

test('a synth killed at any moment leaves the target as it was or complete; the next run cleans up', async () => {
  const target = path.join(tmp, 'killed', 'dist');
  const expected = path.join(tmp, 'killed-expected');
  const env = { ...ENV, PATH: process.env.PATH, MASTODON_CONFIG: path.join(tmp, 'large.yaml') };
  expect(run(SYNTH[0], [...SYNTH.slice(1), '--output', expected], { cwd: ROOT, env }).status).toBe(0);
  const complete = tree(expected);
  const outcomes = new Set<string>();
  for (const delay of [50, 150, 300, 450, 600, 750, 900, 1100, 1400, 1800]) {
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(target, 'mastodon.k8s.yaml'), 'the previous manifests\n');
    const child = spawn(SYNTH[0], [...SYNTH.slice(1), '--output', target], { cwd: ROOT, env, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await sleep(delay);
    child.kill('SIGKILL');
    await exited;
    // What a reader finds after the kill (or after a run that beat the kill): old or new.
    const now = fs.existsSync(target) ? tree(target) : {};
    const old = now['mastodon.k8s.yaml'] === 'the previous manifests\n' && Object.keys(now).length === 1;
    const whole = JSON.stringify(now) === JSON.stringify(complete);
    if (!old && !whole) {
      // Only a kill between the two renames can leave no target; the next run must restore it.
      expect(fs.existsSync(target)).toBe(false);
      expect(run(SYNTH[0], [...SYNTH.slice(1), '--output', target], { cwd: ROOT, env: { ...env, MASTODON_CONFIG: path.join(ROOT, 'test', 'fixtures', 'invalid', 'web-memory-floor.yaml') } }).status).toBe(1);
      expect(tree(target)).toEqual({ 'mastodon.k8s.yaml': 'the previous manifests\n' });
      outcomes.add('restored');
    } else {
      outcomes.add(old ? 'old' : 'new');
    }
  }
  // The kills landed before the swap at least once (the delays span the whole run).
  expect(outcomes.has('old')).toBe(true);
  // The next run removes the scratch folders the killed ones left.
  expect(run(SYNTH[0], [...SYNTH.slice(1), '--output', target], { cwd: ROOT, env }).status).toBe(0);
  expect(fs.readdirSync(path.dirname(target)).filter((f) => f.startsWith('.synth-tmp-'))).toEqual([]);
  expect(tree(target)).toEqual(complete);
});
