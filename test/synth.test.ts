/**
 * `npm run synth`'s in-process path: `synthInto` renames a complete output into place or leaves
 * the target alone, and reports bad input without a stack. The byte equality with the real
 * `cdk8s synth` and the killed-process runs are in test/integration/synth-equivalence.itest.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { synthesizeApp } from '../lib/app/synthesize';
import { scratchPrefix, swapRenames, writeThenSwap } from '../lib/app/swap';
import { synthInto } from '../scripts/synth';
import { exampleRaw, EXAMPLE_FILE, ROOT, withChange } from './support/fixtures';

jest.setTimeout(60_000);

let tmp: string;
/** A plain synthesizeApp of the example: what a complete output holds (test/dist.test.ts compares dist/ with it). */
let reference: Record<string, string>;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-fast-'));
  const out = path.join(tmp, 'reference');
  expect(synthesizeApp(EXAMPLE_FILE, out).ok).toBe(true);
  reference = tree(out);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tree(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}
function oldOutput(name: string): string {
  const target = path.join(tmp, name, 'out');
  fs.mkdirSync(target, { recursive: true });
  fs.writeFileSync(path.join(target, 'mastodon.k8s.yaml'), 'the previous manifests\n');
  fs.writeFileSync(path.join(target, 'kept-only-if-untouched.txt'), 'x\n');
  return target;
}
const leftovers = (target: string) => fs.readdirSync(path.dirname(target)).filter((f) => f.startsWith('.synth-tmp-'));

test('a good config replaces the whole folder: the files of the previous output are gone, the new ones are a complete synth', () => {
  const target = oldOutput('good');
  const r = synthInto(EXAMPLE_FILE, target);
  expect(r.ok).toBe(true);
  expect(tree(target)).toEqual(reference);
  expect(leftovers(target)).toEqual([]);
});

test('bad input: the report names the field and the fix, without a stack; the target is untouched', () => {
  const target = oldOutput('bad');
  const before = tree(target);
  const r = synthInto(path.join(ROOT, 'test', 'fixtures', 'invalid', 'web-memory-floor.yaml'), target);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.report).toMatch(/web.resources.requests.memory: 512Mi is below the 700Mi floor/);
  expect(r.report).not.toMatch(/\n\s+at /);
  expect(tree(target)).toEqual(before);
  expect(leftovers(target)).toEqual([]);
});

test('the catch-up refusal still comes before anything is written (the check plans the charts about to be written)', () => {
  const target = oldOutput('catch-up');
  const before = tree(target);
  const r = synthInto(path.join(ROOT, 'test', 'fixtures', 'invalid', 'catch-up-max-leaves-no-room.yaml'), target);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.report).toMatch(/scaling\.maxReplicas: every scalable group at its maximum does not leave/);
  expect(tree(target)).toEqual(before);
});

test('an error thrown after files were written into the scratch folder leaves the target untouched', () => {
  const target = oldOutput('throws');
  const before = tree(target);
  const r = synthInto(EXAMPLE_FILE, target, (file, outdir, options) => {
    synthesizeApp(file, outdir, options);
    expect(fs.readdirSync(outdir).length).toBeGreaterThan(0); // half-way: files exist
    throw new Error('boom after writing');
  });
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.report).toMatch(/internal error.*boom after writing/);
  expect(tree(target)).toEqual(before);
  expect(leftovers(target)).toEqual([]);
});

test('the swap itself: a write that throws, or reports failure, leaves the target untouched and no temporary folder', () => {
  const target = oldOutput('swap-throws');
  const before = tree(target);
  expect(() => writeThenSwap(target, (out) => {
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'mastodon.k8s.yaml'), 'half');
    throw new Error('killed half-way');
  })).toThrow('killed half-way');
  expect(tree(target)).toEqual(before);
  const failed = writeThenSwap(target, (out) => {
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'mastodon.k8s.yaml'), 'complete but refused');
    return { ok: false };
  });
  expect(failed).toEqual({ ok: false });
  expect(tree(target)).toEqual(before);
  expect(leftovers(target)).toEqual([]);
});

test('a process killed between its two renames (dist/ moved aside) gets dist/ back on the next run, even a failing one', () => {
  const target = path.join(tmp, 'killed', 'out');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', '0']).pid; // a PID that has exited
  const scratch = path.join(path.dirname(target), `${scratchPrefix(target, os.hostname(), dead)}abc123`);
  fs.mkdirSync(path.join(scratch, 'previous'), { recursive: true });
  fs.writeFileSync(path.join(scratch, 'previous', 'mastodon.k8s.yaml'), 'the previous manifests\n');
  fs.mkdirSync(path.join(scratch, 'dist'));
  fs.writeFileSync(path.join(scratch, 'dist', 'mastodon.k8s.yaml'), 'half');
  // A live process's scratch folder is not touched.
  const live = path.join(path.dirname(target), `${scratchPrefix(target, os.hostname(), process.ppid)}live12`);
  fs.mkdirSync(live);
  const r = synthInto(path.join(ROOT, 'test', 'fixtures', 'invalid', 'web-memory-floor.yaml'), target);
  expect(r.ok).toBe(false);
  expect(tree(target)).toEqual({ 'mastodon.k8s.yaml': 'the previous manifests\n' });
  expect(leftovers(target)).toEqual([path.basename(live)]);
});

test('a symlinked target keeps its link: the new output lands in the folder it points to', () => {
  // dist/ symlinked into a GitOps checkout: `cdk8s synth` writes through the link; so must we.
  const real = oldOutput('link-real');
  const target = path.join(tmp, 'link', 'dist');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(real, target);
  const r = synthInto(EXAMPLE_FILE, target);
  expect(r.ok).toBe(true);
  expect(fs.lstatSync(target).isSymbolicLink()).toBe(true);
  expect(fs.readlinkSync(target)).toBe(real);
  expect(tree(real)).toEqual(reference);
  expect(leftovers(real)).toEqual([]);
  expect(leftovers(target)).toEqual([]);
});

test('a scratch folder of another host (a shared folder) is never taken for a dead process', () => {
  const target = path.join(tmp, 'other-host', 'out');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', '0']).pid; // dead here, maybe alive there
  const theirs = path.join(path.dirname(target), `${scratchPrefix(target, 'another-host', dead)}abc123`);
  fs.mkdirSync(path.join(theirs, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(theirs, 'dist', 'mastodon.k8s.yaml'), 'being written by a live process on another host\n');
  expect(synthInto(EXAMPLE_FILE, target).ok).toBe(true);
  expect(fs.existsSync(path.join(theirs, 'dist', 'mastodon.k8s.yaml'))).toBe(true);
});

test('two synths at once: one that finds the other\'s output in place between its renames still swaps, without an error', () => {
  const target = oldOutput('race');
  const real = swapRenames.rename;
  let raced = false;
  // The other synth: right after ours moved the target aside, it puts its complete output there.
  swapRenames.rename = (from, to) => {
    real(from, to);
    if (!raced && from === target) {
      raced = true;
      fs.mkdirSync(target);
      fs.writeFileSync(path.join(target, 'mastodon.k8s.yaml'), 'the other synth\'s output\n');
    }
  };
  try {
    const r = synthInto(EXAMPLE_FILE, target);
    expect(raced).toBe(true);
    expect(r.ok).toBe(true);
  } finally {
    swapRenames.rename = real;
  }
  expect(tree(target)).toEqual(reference);
  expect(leftovers(target)).toEqual([]);
});

test('warnings are returned for the caller to print', () => {
  const config = path.join(tmp, 'two-nodes.yaml');
  fs.writeFileSync(config, stringify(withChange(exampleRaw(), (c) => {
    c.nodes.inventory = c.nodes.inventory.filter((n: any) => n.name !== 'cloud-3');
    c.database.instances = 3;
  })));
  const r = synthInto(config, path.join(tmp, 'warn', 'out'));
  expect(r.ok && r.warnings.join('\n')).toMatch(/database: 3 instances but pool 'cloud' has 2 amd64 nodes/);
});

describe('a file system that refuses the write: one line naming the path, no stack, the target untouched', () => {
  test('a full disk while the manifests are written', () => {
    const target = oldOutput('enospc');
    const before = tree(target);
    const full = Object.assign(new Error(`ENOSPC: no space left on device, write '${target}/x'`), { code: 'ENOSPC', path: path.join(target, 'x') });
    const r = synthInto(EXAMPLE_FILE, target, () => { throw full; });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.report).toMatch(/no space left on the device/);
      expect(r.report).not.toMatch(/\n\s+at /);
      expect(r.report).not.toMatch(/internal error/);
    }
    expect(tree(target)).toEqual(before);
  });

  test('a target whose parent is a file', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'not a folder\n');
    const r = synthInto(EXAMPLE_FILE, path.join(file, 'dist'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.report).toContain(file);
      expect(r.report).not.toMatch(/\n\s+at /);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('not a folder\n');
  });
});

test('synthesizeApp itself (what main.ts and a server repository\'s main.ts call): a refused write is a report of one line, not a throw', () => {
  const file = path.join(tmp, 'not-a-folder');
  fs.writeFileSync(file, 'x\n');
  const r = synthesizeApp(EXAMPLE_FILE, path.join(file, 'dist'));
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.report).toMatch(/^cannot write .*not-a-folder.*: a part of the path is a file, not a folder \(ENOTDIR\)$|^cannot write .*not-a-folder.*: a file is in the way \(EEXIST\)$/);
    expect(r.errors).toHaveLength(1);
  }
});

test('a write error without a path names the output folder', () => {
  const target = oldOutput('no-path');
  const r = synthInto(EXAMPLE_FILE, target, () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); });
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.report).toMatch(/^cannot write .*\/out\/?[^ ]*: no space left on the device \(ENOSPC\)$/);
});

test('two runs recovering the same dead scratch folder at once: the one that finds it gone goes on', () => {
  const target = path.join(tmp, 'recover-race', 'out');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  const scratch = path.join(path.dirname(target), `${scratchPrefix(target, os.hostname(), dead)}abc123`);
  fs.mkdirSync(path.join(scratch, 'previous'), { recursive: true });
  fs.writeFileSync(path.join(scratch, 'previous', 'mastodon.k8s.yaml'), 'the previous manifests\n');
  // The other run restores it between our check and our rename.
  const real = swapRenames.rename;
  swapRenames.rename = (from, to) => {
    if (from === path.join(scratch, 'previous')) {
      real(from, to);
      throw Object.assign(new Error(`ENOENT: no such file or directory, rename '${from}'`), { code: 'ENOENT' });
    }
    real(from, to);
  };
  try {
    const r = synthInto(EXAMPLE_FILE, target);
    expect(r.ok).toBe(true);
  } finally {
    swapRenames.rename = real;
  }
  expect(tree(target)).toEqual(reference);
});
