/**
 * Redis started with exactly the arguments the StatefulSet renders. Only what must change on a
 * dev machine is overridden: `--port` (random) and `--bind 127.0.0.1` are appended (Redis takes
 * the last value), and the value of `--dir` (the PVC at /data) is replaced by a scratch directory. The password variant expands `$(REDIS_PASSWORD)` the way the kubelet does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { exampleRaw, find, podSpecOf, render, withChange } from '../support/fixtures';
import { freePort, run, scratchDir, Server, startServer } from './support/servers';
import { parseMemory } from '../../lib/rules/quantity';
import { REDIS_MAXMEMORY_SHARE } from '../../lib/redis';

/** The redis-server argv the container runs, after its image entrypoint. */
function renderedArgv(raw: any): { argv: string[]; container: any } {
  const c = podSpecOf(find(render(raw), 'StatefulSet', 'ocw-redis')).containers[0];
  const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])];
  return { argv, container: c };
}

/** Kubernetes expands `$(VAR)` in command and args from the container's env. */
function kubeletExpand(argv: string[], env: Record<string, string>): string[] {
  return argv.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) => env[name] ?? m));
}

function cli(port: number, args: string[], password?: string): string {
  const r = run('redis-cli', ['-p', String(port), ...args], { env: password ? { REDISCLI_AUTH: password } : {}, timeoutMs: 30_000 });
  return `${r.stdout}${r.stderr}`.trim();
}

async function start(argv: string[], dir: string): Promise<Server> {
  expect(argv[0]).toBe('redis-server');
  // Redis changes into --dir while it parses its arguments, so the PVC path is replaced in place.
  expect(argv.filter((a) => a === '--dir')).toHaveLength(1);
  const local = argv.slice(1).map((a, i, all) => (all[i - 1] === '--dir' ? dir : a));
  const port = await freePort();
  return startServer('/usr/bin/redis-server', [...local, '--port', String(port), '--bind', '127.0.0.1'], { port, user: 'redis' });
}

describe('Redis with the rendered arguments', () => {
  const raw = exampleRaw();
  const { argv } = renderedArgv(raw);
  const limit = parseMemory(raw.redis.resources.limits.memory);
  let dir: string;
  let srv: Server;
  beforeAll(async () => {
    dir = scratchDir('redis', 'redis');
    srv = await start(argv, dir);
  });
  afterAll(async () => {
    await srv?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('keeps the image entrypoint: argv starts with redis-server and sets only what the chart means', () => {
    const { container } = renderedArgv(raw);
    expect(container.command).toBeUndefined();
    expect(argv).toEqual(['redis-server', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data',
      '--maxmemory', String(Math.floor(limit * REDIS_MAXMEMORY_SHARE)), '--maxmemory-policy', 'noeviction']);
  });

  test('AOF on, everysec, noeviction, maxmemory as rendered', () => {
    expect(cli(srv.port, ['CONFIG', 'GET', 'appendonly'])).toBe('appendonly\nyes');
    expect(cli(srv.port, ['CONFIG', 'GET', 'appendfsync'])).toBe('appendfsync\neverysec');
    expect(cli(srv.port, ['CONFIG', 'GET', 'maxmemory-policy'])).toBe('maxmemory-policy\nnoeviction');
    expect(Number(cli(srv.port, ['CONFIG', 'GET', 'maxmemory']).split('\n')[1])).toBe(Math.floor(limit * REDIS_MAXMEMORY_SHARE));
    expect(Number(cli(srv.port, ['CONFIG', 'GET', 'maxmemory']).split('\n')[1])).toBeLessThan(limit);
  });

  test('the append-only file exists and grows with each write', () => {
    const aofDir = path.join(dir, 'appendonlydir');
    const size = () => fs.readdirSync(aofDir).filter((f) => f.endsWith('.incr.aof')).reduce((n, f) => n + fs.statSync(path.join(aofDir, f)).size, 0);
    const before = size();
    expect(cli(srv.port, ['LPUSH', 'queue:default', '{"class":"ProbeWorker"}'])).toBe('1');
    // appendfsync everysec: the write is in the file within about a second.
    const deadline = Date.now() + 5000;
    while (size() <= before && Date.now() < deadline) run('sleep', ['0.2']);
    expect(size()).toBeGreaterThan(before);
  });

  test('a write past maxmemory is refused with an OOM error, nothing is evicted, reads and deletes still work', () => {
    const chunk = 64 * 2 ** 20;
    const needed = Math.ceil((limit * REDIS_MAXMEMORY_SHARE) / chunk) + 2;
    let refused = '';
    let i = 0;
    for (; i < needed; i++) {
      const out = cli(srv.port, ['SETRANGE', `fill:${i}`, String(chunk - 1), 'x']);
      if (/OOM/.test(out)) { refused = out; break; }
      expect(out).toBe(String(chunk));
    }
    expect(refused).toMatch(/OOM command not allowed when used memory > 'maxmemory'/);
    // noeviction: every key written before the refusal is still there, and the queued job too.
    expect(Number(cli(srv.port, ['EXISTS', ...Array.from({ length: i }, (_, k) => `fill:${k}`)]))).toBe(i);
    expect(cli(srv.port, ['LRANGE', 'queue:default', '0', '-1'])).toBe('{"class":"ProbeWorker"}');
    // Sidekiq can still take jobs off (reads and deletes are allowed past maxmemory).
    expect(cli(srv.port, ['DEL', ...Array.from({ length: i }, (_, k) => `fill:${k}`)])).toBe(String(i));
    expect(cli(srv.port, ['SET', 'after', 'ok'])).toBe('OK');
  });

  test('queued jobs survive a restart (replayed from the AOF)', async () => {
    await srv.stop();
    srv = await start(argv, dir);
    expect(cli(srv.port, ['LRANGE', 'queue:default', '0', '-1'])).toBe('{"class":"ProbeWorker"}');
  });
});

describe('Redis with a password', () => {
  const raw = withChange(exampleRaw(), (c) => { c.redis.passwordSecret = { name: 'ocw-redis', key: 'password' }; });
  let dir: string;
  let srv: Server;
  const secret = 'correct horse $(battery) "staple"';
  afterAll(async () => {
    await srv?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the kubelet-expanded argv sets requirepass; without it commands are refused', async () => {
    const { argv, container } = renderedArgv(raw);
    expect(container.command).toBeUndefined();
    // The Secret is referenced by name; its value never appears in the manifest.
    expect(container.env).toContainEqual({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'ocw-redis', key: 'password' } } });
    dir = scratchDir('redis-auth', 'redis');
    srv = await start(kubeletExpand(argv, { REDIS_PASSWORD: secret }), dir);
    expect(cli(srv.port, ['PING'])).toMatch(/NOAUTH/);
    expect(cli(srv.port, ['PING'], secret)).toBe('PONG');
  });

  test('the password is not in the running process command line (ps, /proc/<pid>/cmdline), nor readable without it', () => {
    // /proc/<pid>/cmdline is world-readable (environ is not): any user on the node sees it with
    // `ps`. Redis overwrites its argv with its process title once it has parsed its arguments
    // (proc-title-template, Redis 7), so only the first milliseconds of the process show it.
    const cmdline = fs.readFileSync(`/proc/${srv.pid}/cmdline`, 'utf8');
    expect(cmdline).toMatch(/redis-server /);
    expect(cmdline).not.toContain('correct horse');
    expect(cmdline).not.toContain('requirepass');
    expect(run('ps', ['-o', 'args=', '-p', String(srv.pid)], { timeoutMs: 10_000 }).stdout).not.toContain('correct horse');
    // CONFIG GET needs the password first; INFO does not show it even then.
    expect(cli(srv.port, ['CONFIG', 'GET', 'requirepass'])).toMatch(/NOAUTH/);
    expect(cli(srv.port, ['INFO', 'all'], secret)).not.toContain('correct horse');
  });
});
