/** A remotely managed tunnel's user gets the host names and Services to enter in Cloudflare. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { publicRoutes } from '../lib';
import { exampleRaw, resolved, ROOT, withChange } from './support/fixtures';

jest.setTimeout(60_000);

const remote = (c: any) => { c.tunnel = { mode: 'remote', tokenSecret: { name: 'ocw-tunnel-token', key: 'token' } }; };

test('remote mode: streaming path first, then the host, for each Mastodon host', () => {
  const c = resolved(withChange(exampleRaw(), (x) => { remote(x); x.webDomain = 'www.ocw.social'; }));
  expect(publicRoutes(c)).toEqual([
    { hostname: 'www.ocw.social', path: '^/api/v1/streaming', service: 'http://ocw-streaming:4000' },
    { hostname: 'ocw.social', path: '^/api/v1/streaming', service: 'http://ocw-streaming:4000' },
    { hostname: 'www.ocw.social', path: undefined, service: 'http://ocw-web:3000' },
    { hostname: 'ocw.social', path: undefined, service: 'http://ocw-web:3000' },
  ]);
});

test('local mode: exactly the rules the chart writes, extra routes included', () => {
  const c = resolved();
  expect(publicRoutes(c)).toEqual(c.resolvedTunnel!.rules!.filter((r) => r.hostname).map(({ hostname, path, service }) => ({ hostname, path, service })));
});

test('npm run routes prints them for a remote-mode config', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-routes-'));
  try {
    const file = path.join(dir, 'remote.yaml');
    fs.writeFileSync(file, stringify(withChange(exampleRaw(), remote)));
    const r = spawnSync('npm', ['run', '-s', 'routes'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MASTODON_CONFIG: file } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Cloudflare dashboard/);
    expect(r.stdout).toMatch(/1\. ocw\.social +\^\/api\/v1\/streaming +http:\/\/ocw-streaming:4000/);
    expect(r.stdout).toMatch(/2\. ocw\.social +http:\/\/ocw-web:3000/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
