/**
 * The bad-input matrix: every fixture in test/fixtures/invalid is refused with its field path
 * and a fix, and the previous dist/ is left byte-for-byte as it was.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesizeApp } from '../lib';
import { ROOT } from './support/fixtures';

const DIR = path.join(ROOT, 'test', 'fixtures', 'invalid');
const fixtures = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const DIST = path.join(ROOT, 'dist');
/** A message that teaches says what to do: one of these words (or an example) appears in it. */
const FIX = /\b(use|set|add|remove|write|raise|lower|change|choose|give|list|fix|leave|shorten|put|start from|declare|keep|move|request|quote|store|did you mean|instead|as in|must run|indent|replace)\b|such as|e\.g\./i;

/**
 * The folder's files as strings (latin1 keeps every byte): jest's toEqual walks a Buffer byte by
 * byte (about 2 s for dist/'s 120 kB, times 88 fixtures), while strings compare at once.
 */
function readDir(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'latin1')]));
}
function expectation(file: string): { path: string; message: RegExp } {
  const text = fs.readFileSync(file, 'utf8');
  const p = /^# expect-path: ?(.*)$/m.exec(text);
  const m = /^# expect-message: (.*)$/m.exec(text);
  // Empty files carry their expectation in the name table below.
  return { path: p?.[1] ?? '', message: new RegExp(m?.[1] ?? 'is empty; start from config/example\\.yaml') };
}

let scratch: string;
let outdir: string;
let before: Record<string, string>;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-bad-input-'));
  outdir = path.join(scratch, 'dist');
  fs.cpSync(DIST, outdir, { recursive: true });
  before = readDir(outdir);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('the matrix has at least 40 different invalid configs', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(40);
});

test.each(fixtures)('%s is refused with its path and a fix, and dist/ is untouched', (fixture) => {
  const file = path.join(DIR, fixture);
  const want = expectation(file);
  const r = synthesizeApp(file, outdir);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  const hit = r.errors.find((e) => e.path === want.path && want.message.test(e.message));
  if (!hit) throw new Error(`expected ${want.path || '(file)'}: ${want.message}\ngot:\n${r.report}`);
  // Every message says what to do, not only what is wrong.
  for (const e of r.errors) expect(e.message).toMatch(FIX);
  expect(r.report).toContain(fixture);
  expect(readDir(outdir)).toEqual(before);
});

test('a file that is not there', () => {
  const r = synthesizeApp(path.join(DIR, 'no-such-file.yaml'), outdir);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors[0].message).toMatch(/does not exist; set MASTODON_CONFIG to an existing file/);
  expect(readDir(outdir)).toEqual(before);
});
