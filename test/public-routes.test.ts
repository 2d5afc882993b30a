/** A remotely managed tunnel's user gets the host names and Services to enter in Cloudflare. */
import { formatPublicRoutes, publicRoutes } from '../lib';
import { exampleRaw, resolved, withChange } from './support/fixtures';

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

// What `npm run routes` prints, in-process (the command itself runs in test/integration/cli.itest.ts).
test('the printed routes for a remote-mode config: the dashboard steps, streaming path first', () => {
  const text = formatPublicRoutes(resolved(withChange(exampleRaw(), remote)));
  expect(text).toMatch(/Cloudflare dashboard/);
  expect(text).toMatch(/1\. ocw\.social +\^\/api\/v1\/streaming +http:\/\/ocw-streaming:4000/);
  expect(text).toMatch(/2\. ocw\.social +http:\/\/ocw-web:3000/);
});
