/**
 * Streaming loads a renewed database CA by itself. The rendered streaming container's start
 * command and liveness probe run with `sh` (as in the image: node's docker-entrypoint.sh execs
 * the args), against a Secret volume laid out and updated the way the kubelet does it, with
 * real curl against a health endpoint and real openssl checking what the process trusts.
 *
 * The CA is renewed the way CloudNativePG renews it (cloudnative-pg pkg/certs/certs.go
 * RenewCertificate: the same key and subject, a new validity), and the old one expires while the
 * server certificate, signed by the same key, stays valid. `node` is a stand-in that records the
 * file NODE_EXTRA_CA_CERTS names, which is what Node reads once at start.
 */
import * as fs from 'fs';
import * as path from 'path';
import { resolveConfig } from '../../lib';
import { exampleRaw } from '../support/fixtures';
import { findObject, podSpecOf, scratchMounts, ScratchMounts, writeSecretVolume } from './support/rendered';
import { freePort, run, runOk, scratchDir, Server, startServer } from './support/servers';
import { CA_RELOAD_SPREAD_SECONDS, POD_NAME_FILE } from '../../lib/rules/ca-reload';
import { renderManifests } from '../../lib/app/render';

const r = resolveConfig(exampleRaw());
if (!r.ok) throw new Error('the example config does not resolve');
const objects = renderManifests(r.config);
const deployment = findObject(objects, 'Deployment', `${r.config.name}-streaming`);
const spec = podSpecOf(deployment);
const ctr = spec.containers[0];
const caVolume = spec.volumes.find((v: any) => v.secret?.secretName === `${r.config.name}-db-ca`);
const caMount = ctr.volumeMounts.find((m: any) => m.name === caVolume?.name);

let dir: string;
let fs_: ScratchMounts;
/** The health endpoint, in its own process (run() blocks this one); it answers the status in `status`. */
let health: Server;
let healthPort: number;
const DAY = 86_400;
/** A time after the first CA has expired, before the server certificate does. */
const later = Math.floor(Date.now() / 1000) + 3 * DAY;

function setHealth(status: number): void {
  fs.writeFileSync(path.join(dir, 'status'), String(status));
}

function ossl(args: string[]): string {
  return runOk('openssl', args, { cwd: dir });
}

/** Runs a rendered `sh -c` script of the container with its paths and the health port rewritten. */
function sh(script: string, env: Record<string, string> = {}): ReturnType<typeof run> {
  const local = fs_.rewrite(script).replace(/127\.0\.0\.1:\d+\//, `127.0.0.1:${healthPort}/`);
  const vars = Object.fromEntries(Object.entries(ctrEnv()).map(([k, v]) => [k, fs_.rewrite(v)]));
  return run('sh', ['-c', local], { env: { ...vars, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, ...env }, cwd: dir, timeoutMs: 20_000 });
}

function ctrEnv(): Record<string, string> {
  return Object.fromEntries((ctr.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
}

/** The container starting (or restarting): the rendered args. Returns what the process trusts. */
function start(): string {
  expect(ctr.command).toBeUndefined();
  const [shell, flag, script] = ctr.args;
  expect([shell, flag]).toEqual(['sh', '-c']);
  const res = sh(script);
  expect([res.status, res.stderr]).toEqual([0, '']);
  return fs.readFileSync(path.join(dir, 'trusted.pem'), 'utf8');
}

function probe(): ReturnType<typeof run> {
  const [shell, flag, script] = ctr.livenessProbe.exec.command;
  expect([shell, flag]).toEqual(['sh', '-c']);
  return sh(script);
}

/** Does a certificate chain to what the process trusts, at time `at` (as OpenSSL decides)? */
function verifies(trusted: string, at: number): boolean {
  fs.writeFileSync(path.join(dir, 'trusted-now.pem'), trusted);
  return run('openssl', ['verify', '-attime', String(at), '-CAfile', 'trusted-now.pem', 'server.crt'], { cwd: dir }).status === 0;
}

beforeAll(async () => {
  dir = scratchDir('streaming-ca');
  // The CA (valid 2 days, standing for the last days of CNPG's 90) and a server certificate.
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  const caArgs = ['-x509', '-new', '-key', 'ca.key', '-subj', '/OU=mastodon/CN=ocw-db',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  ossl(['req', ...caArgs, '-days', '2', '-out', 'ca-old.crt']);
  ossl(['req', ...caArgs, '-days', '90', '-out', 'ca-renewed.crt']);
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  ossl(['req', '-new', '-key', 'server.key', '-subj', '/CN=ocw-db-rw', '-out', 'server.csr']);
  ossl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca-old.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '90', '-out', 'server.crt']);

  // `node`: records the file NODE_EXTRA_CA_CERTS names, as Node reads it once at start.
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'node'), `#!/bin/sh\ncat "$NODE_EXTRA_CA_CERTS" > ${path.join(dir, 'trusted.pem')}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'hostname'), 'ocw-streaming-6f7c9d8b5-x2k4q\n');

  fs_ = scratchMounts(spec, ctr, { [caVolume.secret.secretName]: { 'ca.crt': fs.readFileSync(path.join(dir, 'ca-old.crt'), 'utf8') } },
    path.join(dir, 'pod'), { [POD_NAME_FILE]: path.join(dir, 'hostname') });

  healthPort = await freePort();
  setHealth(200);
  const server = `require('http').createServer((q, s) => { s.statusCode = q.url === '/api/v1/streaming/health' ? Number(require('fs').readFileSync(${JSON.stringify(path.join(dir, 'status'))}, 'utf8')) : 404; s.end('OK'); }).listen(${healthPort}, '127.0.0.1')`;
  health = await startServer(process.execPath, ['-e', server], { port: healthPort });
});

afterAll(async () => {
  await health?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the CA is a whole-directory Secret mount (the kubelet updates it in place), and the process trusts a copy', () => {
  expect(caMount).toMatchObject({ mountPath: expect.any(String), readOnly: true });
  expect(caMount.subPath).toBeUndefined();
  const ca = ctrEnv().NODE_EXTRA_CA_CERTS;
  expect(ca.startsWith(`${caMount.mountPath}/`)).toBe(false);
  // The copy lives in a writable emptyDir, so the container can make it under readOnlyRootFilesystem.
  const home = ctr.volumeMounts.find((m: any) => ca.startsWith(`${m.mountPath}/`));
  expect(spec.volumes.find((v: any) => v.name === home.name).emptyDir).toBeDefined();
});

test('a renewed CA: the probe restarts the container once the pod\'s delay has passed, and the restarted process trusts the new CA', () => {
  const old = fs.readFileSync(path.join(dir, 'ca-old.crt'), 'utf8');
  const renewed = fs.readFileSync(path.join(dir, 'ca-renewed.crt'), 'utf8');
  // Start: the process trusts the mounted CA; the server certificate verifies today, not once
  // the old CA has expired (OpenSSL checks the trust anchor's validity).
  let trusted = start();
  expect(trusted).toBe(old);
  expect(verifies(trusted, Math.floor(Date.now() / 1000))).toBe(true);
  expect(verifies(trusted, later)).toBe(false);
  expect(probe().status).toBe(0);

  // The liveness probe still checks the health endpoint.
  setHealth(503);
  expect(probe().status).not.toBe(0);
  setHealth(200);

  // CloudNativePG renews the CA; the kubelet swaps the Secret volume's files.
  writeSecretVolume(path.join(dir, 'pod', caVolume.name), { 'ca.crt': renewed });
  expect(fs.readFileSync(path.join(fs_.mounts[caMount.mountPath], 'ca.crt'), 'utf8')).toBe(renewed);
  // This pod's delay, as the probe computes it from the pod name.
  const delay = Number(runOk('sh', ['-c', `cksum < ${path.join(dir, 'hostname')} | cut -d ' ' -f 1`]).trim()) % CA_RELOAD_SPREAD_SECONDS;
  const first = probe();
  if (delay > 0) {
    expect(first.status).toBe(0);
    // The pod's delay passes (the change was first seen `delay` seconds ago).
    const mark = fs.readdirSync(path.join(dir, 'pod')).map((d) => path.join(dir, 'pod', d, 'postgres-ca', 'changed')).find((f) => fs.existsSync(f))!;
    expect(mark).toBeDefined();
    const t = new Date(Date.now() - delay * 1000);
    fs.utimesSync(mark, t, t);
  }
  const failed = probe();
  expect(failed.status).not.toBe(0);
  expect(failed.stderr).toMatch(/the database CA changed \d+s ago: restart to load it/);

  // The kubelet restarts the container: it trusts the renewed CA, which outlives the old one.
  trusted = start();
  expect(trusted).toBe(renewed);
  expect(verifies(trusted, later)).toBe(true);
  expect(probe().status).toBe(0);
});

test('the restarts of the streaming pods are spread: different pod names wait different delays within the spread', () => {
  const names = ['ocw-streaming-6f7c9d8b5-x2k4q', 'ocw-streaming-6f7c9d8b5-p8w2m', 'ocw-streaming-7b5d4c9f8-zt6rn'];
  const delays = names.map((n) => {
    fs.writeFileSync(path.join(dir, 'name'), `${n}\n`);
    return Number(runOk('sh', ['-c', `cksum < ${path.join(dir, 'name')} | cut -d ' ' -f 1`]).trim()) % CA_RELOAD_SPREAD_SECONDS;
  });
  expect(new Set(delays).size).toBe(names.length);
  for (const d of delays) expect(d).toBeLessThan(CA_RELOAD_SPREAD_SECONDS);
  // The probe computes the delay from the file this test stands in for.
  expect(ctr.livenessProbe.exec.command[2]).toContain(`cksum < ${POD_NAME_FILE}`);
});
