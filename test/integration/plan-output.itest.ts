/**
 * `npm run plan` writes its pictures where it is told, and by default outside the tracked
 * docs: docs/plan/ holds the example's pictures and is regenerated only on purpose.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../support/fixtures';

jest.setTimeout(120_000);

const DOCS = path.join(ROOT, 'docs', 'plan');
// latin1 strings, not Buffers: jest's toEqual compares a Buffer byte by byte (seconds for a PNG).
const read = () => Object.fromEntries(fs.readdirSync(DOCS).sort().map((f) => [f, fs.readFileSync(path.join(DOCS, f), 'latin1')]));
const plan = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync('npm', ['run', '-s', 'plan', '--', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-plan-out-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('without --out, another config leaves the tracked docs/plan pictures alone', () => {
  const before = read();
  const r = plan([], { MASTODON_CONFIG: path.join(ROOT, 'test', 'fixtures', 'valid', 'single-node-arm64.yaml') });
  expect(r.stdout).toMatch(/wrote \.plan\/plan\.svg and plan\.png/);
  expect(read()).toEqual(before);
  expect(fs.existsSync(path.join(ROOT, '.plan', 'plan.svg'))).toBe(true);
});

test('--out names the folder', () => {
  const out = path.join(tmp, 'pictures');
  const r = plan(['--out', out]);
  expect(r.status).toBe(0);
  expect(fs.readFileSync(path.join(out, 'plan.svg'), 'utf8')).toMatch(/^<svg/);
  expect(fs.readFileSync(path.join(out, 'plan.png')).subarray(1, 4).toString()).toBe('PNG');
});
