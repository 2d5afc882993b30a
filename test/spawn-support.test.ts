/**
 * The integration suite's bounded spawns: a command that ignores SIGTERM (as a stalled npm does,
 * npm/cli#4028) is still stopped at its bound, and a stalled npm command is tried once more.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { npmBounded, spawnBounded } from './support/spawn';

test('a command that ignores SIGTERM is killed at its bound, not waited for', () => {
  const started = Date.now();
  const r = spawnBounded('sh', ['-c', 'trap "" TERM; exec sleep 30'], { timeout: 300 });
  expect(r.timedOut).toBe(true);
  expect(Date.now() - started).toBeLessThan(20_000);
});

test('the bound stops the command\'s children too (a stalled npm pack leaves no build running)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bounded-'));
  try {
    const pidFile = path.join(dir, 'child');
    const r = spawnBounded('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeout: 300 });
    expect(r.timedOut).toBe(true);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        spawnBounded('sleep', ['0.1'], { timeout: 5_000 });
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a command that ends by itself within the bound is not a stall', () => {
  const r = spawnBounded('sh', ['-c', 'echo ok; exit 3'], { timeout: 5_000 });
  expect([r.status, r.stdout, r.timedOut]).toEqual([3, 'ok\n', false]);
});

test('a stalled npm command is tried once more; a plain failure is not', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-bounded-'));
  try {
    // A stand-in npm: stalls (ignoring SIGTERM) on its first call, succeeds on the second.
    fs.writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\nif [ ! -e "${dir}/called" ]; then : > "${dir}/called"; trap "" TERM; exec sleep 30; fi\necho "ok $*"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    const r = npmBounded(['install', 'x'], { cwd: dir, env, timeout: 500 });
    expect([r.status, r.stdout]).toEqual([0, 'ok install x\n']);

    fs.writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\necho "call" >> "${dir}/calls"; exit 1\n`, { mode: 0o755 });
    expect(npmBounded(['ci'], { cwd: dir, env, timeout: 5_000 }).status).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'calls'), 'utf8')).toBe('call\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a stalled npm test is not run again: it is ours, not npm\'s', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-bounded-'));
  try {
    fs.writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\necho "call" >> "${dir}/calls"; trap "" TERM; exec sleep 30\n`, { mode: 0o755 });
    const r = npmBounded(['test'], { cwd: dir, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, timeout: 300 });
    expect(r.timedOut).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'calls'), 'utf8')).toBe('call\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
