/**
 * scripts/bench-probe.js, the memory probe npm run bench loads with NODE_OPTIONS=--require,
 * run on real Node processes (small ones: no timing is asserted anywhere).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { peakMemory } from '../scripts/bench-stats';
import { ROOT } from './support/fixtures';

const PROBE = path.join(ROOT, 'scripts', 'bench-probe.js');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-probe-'));
  fs.mkdirSync(path.join(dir, 'lib'));
  // The "library": allocates 160 MiB and keeps it, so the render process is the larger one by far
  // (with 40 MiB a parent Node process at 84 MB outgrew the 81 MB child once, under load).
  fs.writeFileSync(path.join(dir, 'lib', 'index.js'), 'globalThis.keep = Buffer.alloc(160 * 1024 * 1024, 1);\n');
  fs.writeFileSync(path.join(dir, 'render.js'), `require(${JSON.stringify(path.join(dir, 'lib', 'index.js'))});\n`);
  fs.writeFileSync(path.join(dir, 'parent.js'), `require('child_process').spawnSync(process.execPath, [${JSON.stringify(path.join(dir, 'render.js'))}], { stdio: 'inherit' });\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function runTree(rssFile: string, viaTime?: string) {
  const env = { ...process.env, NODE_OPTIONS: `--require "${PROBE}"`, CDK8S_MASTODON_BENCH_RSS: rssFile, CDK8S_MASTODON_BENCH_ROOT: dir };
  const cmd = [process.execPath, path.join(dir, 'parent.js')];
  const r = viaTime ? spawnSync('/usr/bin/time', ['-f', '%M', '-o', viaTime, ...cmd], { env }) : spawnSync(cmd[0], cmd.slice(1), { env });
  expect(r.status).toBe(0);
  return peakMemory(fs.readFileSync(rssFile, 'utf8'));
}

test('every Node process of the tree reports; the one that loaded lib/ is the render process', () => {
  const p = runTree(path.join(dir, 'rss-1'));
  expect(p?.processes).toBe(2);
  expect(p?.renderScript).toBe(path.join(dir, 'render.js'));
  expect(p!.renderKiB).toBeGreaterThan(160 * 1024);
  expect(p!.treeMaxKiB).toBe(p!.renderKiB);
});

test('without the environment variable the probe is inert: exit 0, no output', () => {
  const r = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: `--require "${PROBE}"`, CDK8S_MASTODON_BENCH_RSS: '' } });
  expect(r.status).toBe(0);
  expect(r.stderr.toString()).toBe('');
});

(fs.existsSync('/usr/bin/time') ? test : test.skip)('the probe agrees with /usr/bin/time -f %M (the tree\'s largest process) within 2%', () => {
  const timeFile = path.join(dir, 'time-2');
  const p = runTree(path.join(dir, 'rss-2'), timeFile);
  const kib = Number(fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop());
  expect(Math.abs(kib - p!.treeMaxKiB) / kib).toBeLessThan(0.02);
});
