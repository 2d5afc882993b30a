/**
 * The Redis exporter Deployment's container (monitoring on, Redis with a password) run as Debian's
 * prometheus-redis-exporter (oliver006/redis_exporter, an older release than the pinned image:
 * REDIS_ADDR, REDIS_PASSWORD and /health are the same in both, main.go and exporter/http.go)
 * against a real redis-server, with the Service host in REDIS_ADDR sent to the local port.
 *
 * What the split of the alerts relies on: the exporter's probe path answers whether or not Redis
 * does (so a Redis outage never restarts or unreadies the exporter), and a Redis it cannot reach
 * shows as `redis_up 0` (RedisDown), not as a missing series (RedisExporterDown).
 */
import * as fs from 'fs';
import { exampleRaw, find, podSpecOf, render, withChange } from '../support/fixtures';
import { freePort, scratchDir, Server, sleep, startServer } from './support/servers';

const PASSWORD = 'it-redis-password';
const objects = render(withChange(exampleRaw(), (c) => {
  c.monitoring = { enabled: true };
  c.redis.passwordSecret = { name: 'ocw-redis-auth', key: 'password' };
}));
const exporter = podSpecOf(find(objects, 'Deployment', 'ocw-redis-metrics')).containers[0];

let dir: string;
let redis: Server;
let exp: Server;
let metricsPort: number;

async function get(p: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${metricsPort}${p}`, { signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.text() };
}
const redisUp = (body: string) => body.split('\n').find((l) => l.startsWith('redis_up '));

beforeAll(async () => {
  dir = scratchDir('redis-exporter', 'redis');
  const redisPort = await freePort();
  redis = await startServer('/usr/bin/redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--requirepass', PASSWORD],
    { port: redisPort, user: 'redis' });
  // The rendered env: the value of REDIS_ADDR with its Service host sent here, the password from the Secret.
  const env: Record<string, string> = {};
  for (const e of exporter.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom.secretKeyRef.name === 'ocw-redis-auth') env[e.name] = PASSWORD;
  }
  expect(env.REDIS_ADDR).toBe('redis://ocw-redis:6379');
  env.REDIS_ADDR = env.REDIS_ADDR.replace('ocw-redis:6379', `127.0.0.1:${redisPort}`);
  metricsPort = await freePort();
  exp = await startServer('/usr/bin/prometheus-redis-exporter', [], {
    port: metricsPort,
    env: { ...env, REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${metricsPort}` },
  });
});

afterAll(async () => {
  await exp?.stop();
  await redis?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('with the rendered env it reaches Redis (password and all): redis_up 1, and its probe path answers', async () => {
  const probe = exporter.readinessProbe.httpGet;
  expect(probe.port).toBe(9121);
  expect(await get(probe.path)).toEqual({ status: 200, body: 'ok' });
  expect(redisUp((await get('/metrics')).body)).toBe('redis_up 1');
});

test('Redis gone: the probe path still answers (the exporter stays up), and redis_up is 0 (RedisDown), not absent', async () => {
  await redis.stop();
  await sleep(200);
  expect(await get(exporter.livenessProbe.httpGet.path)).toEqual({ status: 200, body: 'ok' });
  expect(redisUp((await get('/metrics')).body)).toBe('redis_up 0');
});
