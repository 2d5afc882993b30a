/**
 * The unit suite runs under test/support/jest-runtime.js: jest's runtime compiling modules with
 * vm.Script so V8 shares compiled code between test files. What jest guarantees must hold as
 * before: fresh module instances per registry, line numbers in stack traces, jest's errors for
 * bad syntax and for dynamic import() without ESM support.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const STATS = Symbol.for('cdk8s-mastodon.jest-runtime');
const stats = (): { compiled: number } | undefined => (globalThis as any)[STATS];

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-jest-runtime-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('modules of this test file were compiled by the project\'s runtime, and each new registry compiles (and runs) its own copy', () => {
  const before = stats()?.compiled ?? 0;
  expect(before).toBeGreaterThan(0);
  let first: unknown;
  let second: unknown;
  jest.isolateModules(() => { first = require('../lib/rules/order'); });
  jest.isolateModules(() => { second = require('../lib/rules/order'); });
  expect(stats()!.compiled).toBeGreaterThanOrEqual(before + 2);
  // Shared code, separate instances: state never leaks between registries (or test files).
  expect(first).not.toBe(second);
  expect(first).not.toBe(require('../lib/rules/order'));
});

test('stack traces name the line the code is on (the wrapper adds no line)', () => {
  const file = path.join(dir, 'thrower.js');
  fs.writeFileSync(file, "'use strict';\n\n\nmodule.exports = () => {\n  throw new Error('from line 5');\n};\n");
  const thrower = require(file);
  let stack = '';
  try { thrower(); } catch (e) { stack = (e as Error).stack ?? ''; }
  expect(stack).toContain(`${file}:5:`);
});

test('a syntax error is jest\'s SyntaxError, naming the file', () => {
  const file = path.join(dir, 'broken.js');
  fs.writeFileSync(file, 'module.exports = {;\n');
  expect(() => require(file)).toThrow(SyntaxError);
});

test('dynamic import() reaches jest\'s own handler (which refuses without --experimental-vm-modules, as before)', async () => {
  const file = path.join(dir, 'importer.js');
  fs.writeFileSync(file, "module.exports = () => import('./thrower.js');\n");
  await expect(require(file)()).rejects.toThrow(/experimental-vm-modules|ES Modules in the VM API/);
});
