/**
 * Starting and stopping real servers for the integration suite: random free ports on
 * 127.0.0.1, a bounded wait until the server answers, a stop by PID (the whole process group),
 * and a safety net that kills whatever is left when the test process exits.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { isRoot, userIds } from './programs';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) killGroup(c.pid, 'SIGKILL');
});

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      srv.close(() => resolve(addr.port));
    });
  });
}

/** A scratch directory, owned by `user` when given (and running as root). */
export function scratchDir(prefix: string, user?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cdk8s-mastodon-it-${prefix}-`));
  if (user && isRoot()) {
    const { uid, gid } = userIds(user);
    fs.chownSync(dir, uid, gid);
  }
  return dir;
}

export interface RunOptions {
  /** Run as this system user (only when root; servers such as Postgres refuse to run as root). */
  readonly user?: string;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** @default 60000 */
  readonly timeoutMs?: number;
  readonly input?: string;
}

function asUser(cmd: string, args: readonly string[], user?: string): [string, string[]] {
  if (!user || !isRoot()) return [cmd, [...args]];
  // setpriv execs the program (no extra parent process), so the PID we hold is the server's.
  return ['setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--reset-env', '--', cmd, ...args]];
}

/** Runs a command to completion, bounded in time. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): SpawnSyncReturns<string> {
  const [c, a] = asUser(cmd, args, opts.user);
  const r = spawnSync(c, a, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, LANG: 'C.UTF-8', ...opts.env },
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 60_000,
    input: opts.input,
  });
  if (r.error) throw r.error;
  return r;
}

/** Like `run`, but throws with the output when the command exits non-zero. */
export function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A server started by `startServer`. */
export interface Server {
  readonly pid: number;
  readonly port: number;
  /** Everything the server printed so far. */
  output(): string;
  /** Stops the server by PID (SIGTERM to its process group, SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions extends Omit<RunOptions, 'input' | 'timeoutMs'> {
  readonly port: number;
  /** Resolves true when the server is ready; polled until `readyTimeoutMs`. @default TCP connect to the port */
  readonly ready?: () => boolean | Promise<boolean>;
  /** @default 30000 */
  readonly readyTimeoutMs?: number;
}

/** True when a TCP connection to 127.0.0.1:port succeeds. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(1000);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}

/** Starts a long-running server in its own process group and waits until it is ready. */
export async function startServer(cmd: string, args: readonly string[], opts: StartOptions): Promise<Server> {
  const [c, a] = asUser(cmd, args, opts.user);
  const child = spawn(c, a, {
    env: { PATH: process.env.PATH, LANG: 'C.UTF-8', ...opts.env },
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  let exited = null as number | string | null; // set by the exit handler
  child.on('exit', (code, sig) => { exited = code ?? sig; running.delete(child); });
  const server: Server = {
    pid: child.pid!,
    port: opts.port,
    output: () => out,
    stop: async (graceMs = 5000) => {
      if (exited !== null) return;
      killGroup(child.pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (exited === null && Date.now() < deadline) await sleep(50);
      if (exited === null) killGroup(child.pid, 'SIGKILL');
      while (exited === null) await sleep(20);
    },
  };
  const ready = opts.ready ?? (() => canConnect(opts.port));
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null) throw new Error(`${cmd} exited (${exited}) before it was ready:\n${out}`);
    if (await ready()) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${cmd} was not ready within ${opts.readyTimeoutMs ?? 30_000} ms:\n${out}`);
    }
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
