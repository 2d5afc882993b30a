/**
 * The maintenance page as rendered (maintenance.enabled), served by Debian's nginx-light 1.22
 * with the ConfigMap's nginx.conf and files placed where the Deployment mounts them. Only what
 * must change on a dev machine is rewritten: the listen ports, the pid file, the temp paths and the
 * directory the ConfigMap is mounted at; the test asserts the config needs no other change.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { exampleRaw, find, podSpecOf, render, withChange } from '../support/fixtures';
import { freePort, runOk, scratchDir, Server, startServer } from './support/servers';
import { isRoot } from './support/programs';

const RETRY_AFTER = 600;
const TITLE = 'Moving "house" & $home <today>';
const raw = withChange(exampleRaw(), (c) => { c.maintenance = { enabled: true, retryAfterSeconds: RETRY_AFTER, title: TITLE }; });
const objects = render(raw);
const cm = find(objects, 'ConfigMap', 'ocw-maintenance');
const pod = podSpecOf(find(objects, 'Deployment', 'ocw-maintenance'));
const container = pod.containers[0];
const service = find(objects, 'Service', 'ocw-maintenance');
/** The port the Service (and so the tunnel) sends traffic to. */
const CONTAINER_PORT: number = container.ports.find((p: any) => p.name === service.spec.ports[0].targetPort || p.containerPort === service.spec.ports[0].targetPort).containerPort;
const PROBE_PATH: string = container.readinessProbe.httpGet.path;
/** The port the kubelet probes; it may be the served port or one of its own. */
const PROBE_CONTAINER_PORT: number = typeof container.readinessProbe.httpGet.port === 'number'
  ? container.readinessProbe.httpGet.port
  : container.ports.find((p: any) => p.name === container.readinessProbe.httpGet.port).containerPort;

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

function request(port: number, method: string, p: string, accept?: string, body = '{"status":"hello"}'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: { Host: 'ocw.social', ...(accept ? { Accept: accept } : {}) }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (method === 'POST' || method === 'PUT') req.end(body);
    else req.end();
  });
}

let srv: Server;
let dir: string;
let rewritten: string;
/** Where the probe port listens on this machine. */
let probePort: number;

beforeAll(async () => {
  const user = isRoot() ? 'www-data' : undefined;
  dir = scratchDir('nginx', user);
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  probePort = PROBE_CONTAINER_PORT === CONTAINER_PORT ? port : await freePort();
  // Place each ConfigMap key where the Deployment mounts it, under the scratch directory.
  const configVolume = pod.volumes.find((v: any) => v.configMap?.name === cm.metadata.name).name;
  let confPath = '';
  const mountDirs = new Set<string>();
  for (const m of container.volumeMounts.filter((x: any) => x.name === configVolume)) {
    const target = path.join(dir, m.mountPath);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, cm.data[m.subPath]);
    if (m.subPath === 'nginx.conf') confPath = target;
    else mountDirs.add(path.dirname(m.mountPath));
  }
  const conf: string = cm.data['nginx.conf'];
  const rules: [RegExp, string][] = [
    [new RegExp(`^(\\s*)listen ${CONTAINER_PORT};$`, 'gm'), `$1listen 127.0.0.1:${port};`],
    ...(PROBE_CONTAINER_PORT === CONTAINER_PORT ? [] : [[new RegExp(`^(\\s*)listen ${PROBE_CONTAINER_PORT};$`, 'gm'), `$1listen 127.0.0.1:${probePort};`] as [RegExp, string]]),
    [/^(\s*)pid \/tmp\/nginx\.pid;$/gm, `$1pid ${dir}/tmp/nginx.pid;`],
    [/^(\s*)(\w+_temp_path) \/tmp\//gm, `$1$2 ${dir}/tmp/`],
    ...[...mountDirs].map((d): [RegExp, string] => [new RegExp(`(\\s)${d.replace(/[/.]/g, '\\$&')}(/|;)`, 'gm'), `$1${dir}${d}$2`]),
  ];
  rewritten = conf;
  for (const [re, to] of rules) {
    expect(conf).toMatch(re);
    rewritten = rewritten.replace(re, to);
  }
  // Nothing else differs: every changed line is one of the rewrites above.
  const before = conf.split('\n');
  const after = rewritten.split('\n');
  expect(after).toHaveLength(before.length);
  const changed = before.filter((l, i) => l !== after[i]);
  for (const l of changed) expect(l).toMatch(/^\s*(listen \d+;|pid \/tmp\/|\w+_temp_path \/tmp\/|(root|alias) \/)/);
  fs.writeFileSync(confPath, rewritten);
  fs.mkdirSync(path.join(dir, 'tmp'));
  if (user) runOk('chown', ['-R', `${user}:${user}`, dir]);
  runOk('/usr/sbin/nginx', ['-t', '-e', 'stderr', '-p', dir, '-c', confPath], { user });
  srv = await startServer('/usr/sbin/nginx', ['-e', 'stderr', '-p', dir, '-c', confPath, '-g', 'daemon off;'], { port, user });
});

afterAll(async () => {
  await srv?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the dev-machine rewrite touches only listen, pid, temp paths and the mount directory', () => {
  expect(rewritten).not.toContain(`listen ${CONTAINER_PORT};`);
  expect(rewritten.split(` ${dir}/`).join(' SCRATCH/')).not.toMatch(/ \/tmp\//);
});

test('the probe path answers 200 on the probe port', async () => {
  const r = await request(probePort, 'GET', PROBE_PATH);
  expect(r.status).toBe(200);
});

test('the probe port is not the port the Service exposes, and serves nothing but the probe path', async () => {
  // The tunnel reaches the pod only through the Service, so /healthz can never answer 200 to
  // a visitor (or an uptime monitor) during maintenance.
  expect(service.spec.ports.map((p: any) => p.targetPort)).not.toContain(PROBE_CONTAINER_PORT);
  expect(service.spec.ports.map((p: any) => p.targetPort)).not.toContain(container.readinessProbe.httpGet.port);
  expect((await request(probePort, 'GET', '/')).status).toBe(404);
  expect((await request(probePort, 'GET', '/index.html')).status).toBe(404);
});

test('a media upload larger than nginx\'s default 1m body limit gets the 503 too, not 413', async () => {
  const r = await request(srv.port, 'POST', '/api/v2/media', 'application/json', 'x'.repeat(8 * 2 ** 20));
  expect(r.status).toBe(503);
  expect(r.headers['retry-after']).toBe(String(RETRY_AFTER));
  expect(JSON.parse(r.body)).toEqual({ error: TITLE });
});

const PATHS = ['/', '/index.html', '/api/v1/timelines/home', '/api/v1/streaming/health', '/favicon.ico', '/@alice/110000000000000001',
  '/deep/a/b/c/d/e/f.html', '/.well-known/webfinger?resource=acct:alice@ocw.social', '/_maintenance/index.html', '/_maintenance/error.json',
  '/inbox', '/oauth/token', '/404', '/healthz/../index.html', '/healthz', '/health'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];
const ACCEPTS = [undefined, 'text/html', 'application/json', '*/*', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/activity+json'];

/** Mastodon's API answers JSON on /api/; ActivityPub and API clients ask for JSON in Accept. */
const wantsJson = (p: string, accept?: string) => p.startsWith('/api/') || /json/i.test(accept ?? '');

const cases = PATHS.flatMap((p) => METHODS.flatMap((m) => ACCEPTS.map((a) => [m, p, a ?? '(none)'] as const)));
test.each(cases)('%s %s Accept: %s → 503, Retry-After, the right body', async (method, p, acceptLabel) => {
  const accept = acceptLabel === '(none)' ? undefined : acceptLabel;
  const r = await request(srv.port, method, p, accept);
  expect(r.status).toBe(503);
  expect(r.headers['retry-after']).toBe(String(RETRY_AFTER));
  expect(r.headers['cache-control']).toBe('no-store');
  expect(r.headers.vary).toMatch(/Accept/);
  if (wantsJson(p, accept)) {
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    if (method !== 'HEAD') expect(JSON.parse(r.body)).toEqual({ error: TITLE });
  } else {
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    if (method !== 'HEAD') expect(r.body).toContain('<h1>Moving &quot;house&quot; &amp; $home &lt;today&gt;</h1>');
  }
  if (method === 'HEAD') expect(r.body).toBe('');
});
