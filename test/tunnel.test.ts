import { parse } from 'yaml';
import { SourcedRule, Manifest } from '../lib';
import { K8sValidator } from './support/k8s-validator';
import { errorsOf, exampleRaw, find, podMetaOf, podSpecOf, render, withChange, messageAt, resolved } from './support/fixtures';
import { CATCH_ALL, generateIngressRules, validateIngressRules } from '../lib/rules/tunnel-rules';
import { formatPublicRoutes, publicRoutes } from '../lib/rules/public-routes';

const objects = render();
const tunnelConfig = (o: Manifest[]) => parse(find(o, 'ConfigMap', 'ocw-tunnel').data['config.yaml']);


describe('the routes the config generates', () => {
  const cfg = tunnelConfig(objects);
  test('streaming before web on the Mastodon host, then extra routes, then the 404 catch-all', () => {
    expect(cfg.ingress).toEqual([
      { hostname: 'ocw.social', path: '^/api/v1/streaming', service: 'http://ocw-streaming:4000' },
      { hostname: 'ocw.social', service: 'http://ocw-web:3000' },
      { hostname: 'status.ocw.social', service: 'http://uptime-kuma.monitoring:3001' },
      { service: 'http_status:404' },
    ]);
  });
  test('with a web domain, both hosts get streaming first', () => {
    const c = tunnelConfig(render(withChange(exampleRaw(), (x) => { x.webDomain = 'social.ocw.example'; })));
    expect(c.ingress.map((r: any) => `${r.hostname ?? '*'} ${r.path ?? ''} ${r.service}`)).toEqual([
      'social.ocw.example ^/api/v1/streaming http://ocw-streaming:4000',
      'ocw.social ^/api/v1/streaming http://ocw-streaming:4000',
      'social.ocw.example  http://ocw-web:3000',
      'ocw.social  http://ocw-web:3000',
      'status.ocw.social  http://uptime-kuma.monitoring:3001',
      '*  http_status:404',
    ]);
  });
});

describe('what the chart passes CloudflareTunnel (the construct itself: test/constructs/cloudflare-tunnel.test.ts)', () => {
  const d = find(objects, 'Deployment', 'ocw-tunnel');
  const spec = podSpecOf(d);
  const poolTerm = (o: Manifest) => podSpecOf(o).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions
    .find((e: any) => e.key === 'node-pool')?.values;
  test('two replicas, in the pool web runs in (not the Pi: public traffic must not cross the home uplink), both architectures, the frontend PriorityClass', () => {
    expect(d.spec.replicas).toBe(2);
    const exprs = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(exprs).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] },
      { key: 'node-pool', operator: 'In', values: ['cloud'] },
    ]);
    expect(spec.priorityClassName).toBe('ocw-frontend');
    expect(find(objects, 'PodDisruptionBudget', 'ocw-tunnel').spec.maxUnavailable).toBe(1);
  });
  test('the tunnel id and credentials Secret of the config', () => {
    expect(tunnelConfig(objects).tunnel).toBe('6ff42ae2-765d-4adf-8112-31c55c1551ef');
    expect(spec.volumes).toContainEqual({ name: 'credentials', secret: { secretName: 'ocw-tunnel', items: [{ key: 'credentials.json', path: 'credentials.json' }] } });
  });
  test('an extra route rolls the connectors', () => {
    const before = podMetaOf(d).annotations['checksum/config'];
    const changed = render(withChange(exampleRaw(), (x) => { x.tunnel.extraRoutes.push({ hostname: 'grafana.ocw.social', service: 'http://grafana.monitoring:3000' }); }));
    expect(podMetaOf(find(changed, 'Deployment', 'ocw-tunnel')).annotations['checksum/config']).not.toBe(before);
  });
  test('remotely managed: TUNNEL_TOKEN from the Secret of the config, no config file; the protocol of the config', () => {
    const o = render(withChange(exampleRaw(), (x) => { x.tunnel = { mode: 'remote', tokenSecret: { name: 'ocw-tunnel-token', key: 'token' }, protocol: 'http2' }; }));
    const rc = podSpecOf(find(o, 'Deployment', 'ocw-tunnel')).containers[0];
    expect(rc.env).toEqual([{ name: 'TUNNEL_TOKEN', valueFrom: { secretKeyRef: { name: 'ocw-tunnel-token', key: 'token' } } }]);
    expect(rc.args).toEqual(['tunnel', '--metrics', '0.0.0.0:2000', '--protocol', 'http2', 'run']);
    expect(o.find((x) => x.kind === 'ConfigMap' && x.metadata.name === 'ocw-tunnel')).toBeUndefined();
  });
  test('by default the connectors follow web and streaming, the services they carry traffic to; tunnel.pools overrides', () => {
    const streamingHome = render(withChange(exampleRaw(), (x) => { x.streaming.pool = 'onprem'; }));
    expect(poolTerm(find(streamingHome, 'Deployment', 'ocw-tunnel'))).toEqual(['cloud', 'onprem']);
    const webHome = render(withChange(exampleRaw(), (x) => { x.web.pool = 'onprem'; x.streaming.pool = 'onprem'; }));
    expect(poolTerm(find(webHome, 'Deployment', 'ocw-tunnel'))).toEqual(['onprem']);
    const explicit = render(withChange(exampleRaw(), (x) => { x.tunnel.pools = ['cloud', 'onprem']; }));
    expect(poolTerm(find(explicit, 'Deployment', 'ocw-tunnel'))).toEqual(['cloud', 'onprem']);
  });
  test('an explicit pool that runs neither web nor streaming is warned about, naming the field', () => {
    const r = resolved(withChange(exampleRaw(), (x) => { x.tunnel.pools = ['cloud', 'onprem']; }));
    expect(r.warnings.filter((w) => w.startsWith('tunnel.pools'))).toEqual([
      expect.stringMatching(/^tunnel.pools\[1\]: pool 'onprem' runs neither web nor streaming \(pool cloud\), so a connector there sends public traffic over that pool's link .*; remove it/),
    ]);
    expect(resolved().warnings.filter((w) => w.startsWith('tunnel.pools'))).toEqual([]);
  });
  test('the maintenance page runs where the connectors run', () => {
    const m = render(withChange(exampleRaw(), (x) => { x.maintenance.enabled = true; }));
    expect(poolTerm(find(m, 'Deployment', 'ocw-maintenance'))).toEqual(['cloud']);
  });
  test('fewer than two replicas is refused', () => {
    expect(errorsOf(withChange(exampleRaw(), (x) => { x.tunnel.replicas = 1; })).map((e) => e.message).join()).toMatch(/at least 2 replicas/);
  });
});

describe('ingress rule validation, as cloudflared would', () => {
  const rule = (hostname: string | undefined, service: string, path?: string): SourcedRule => ({ ...(hostname ? { hostname } : {}), ...(path ? { path } : {}), service });
  const base = [rule('ocw.social', 'http://ocw-web:3000')];
  test('a valid list has no problems', () => {
    expect(validateIngressRules([...base, CATCH_ALL])).toEqual([]);
  });
  test('the last rule must be a catch-all', () => {
    expect(validateIngressRules(base)[0].message).toBe('rule 1 (hostname ocw.social) is the last rule, so it must be a catch-all with no hostname and no path (e.g. service: http_status:404); add a catch-all after it');
    expect(validateIngressRules([...base, rule(undefined, 'http_status:404', '^/x')])[0].message).toMatch(/rule 2 .* must be a catch-all/);
  });
  test('a catch-all before the end hides the rest', () => {
    expect(validateIngressRules([CATCH_ALL, ...base, CATCH_ALL])[0].message).toMatch(/rule 1 \(no hostname\) matches everything/);
  });
  test('a service URL carries no path', () => {
    expect(validateIngressRules([rule('ocw.social', 'http://ocw-web:3000/app'), CATCH_ALL])[0].message).toMatch(/rule 1 .* has a path/);
  });
  test('a wildcard may only lead a hostname', () => {
    expect(validateIngressRules([rule('*.ocw.social', 'http://a:1'), CATCH_ALL])).toEqual([]);
    expect(validateIngressRules([rule('media.*.social', 'http://a:1'), CATCH_ALL])[0].message).toMatch(/wildcard may only lead/);
    expect(validateIngressRules([rule('me*.ocw.social', 'http://a:1'), CATCH_ALL])[0].message).toMatch(/wildcard may only lead/);
  });
  test('duplicate hostname and path', () => {
    expect(validateIngressRules([...base, rule('ocw.social', 'http://other:80'), CATCH_ALL])[0].message).toMatch(/rule 2 \(hostname ocw.social\) repeats the hostname and path of rule 1/);
  });
  test('a service that is not a URL', () => {
    expect(validateIngressRules([rule('ocw.social', 'ocw web'), CATCH_ALL])[0].message).toMatch(/neither a URL/);
    expect(validateIngressRules([rule('ocw.social', 'ocw-web:3000'), CATCH_ALL])[0].message).toMatch(/unsupported scheme ocw-web:; use http:\/\//);
  });
  test('errors from the config name the route', () => {
    const errors = errorsOf(withChange(exampleRaw(), (x) => {
      x.tunnel.extraRoutes = [
        { hostname: 'status.ocw.social', service: 'http://uptime-kuma.monitoring:3001/dashboard' },
        { hostname: 'ocw.social', service: 'http://elsewhere:80' },
      ];
    }));
    expect(errors.map((e) => e.path)).toEqual(['tunnel.extraRoutes[0]', 'tunnel.extraRoutes[1]']);
    expect(errors[0].message).toMatch(/rule 3 \(hostname status.ocw.social\): service .* has a path/);
    expect(errors[1].message).toMatch(/rule 4 \(hostname ocw.social\) repeats the hostname and path of rule 2/);
  });
  test('the generator always ends with the catch-all', () => {
    const rules = generateIngressRules({ mastodonHosts: ['a.example'], streamingService: 'http://s:4000', webService: 'http://w:3000', extraRoutes: [] });
    expect(rules[rules.length - 1]).toEqual(CATCH_ALL);
  });
});

describe('maintenance mode', () => {
  const on = render(withChange(exampleRaw(), (x) => { x.maintenance = { enabled: true }; }));
  test('every Mastodon host goes to the maintenance page; other routes stay', () => {
    expect(tunnelConfig(on).ingress).toEqual([
      { hostname: 'ocw.social', service: 'http://ocw-maintenance:8080' },
      { hostname: 'status.ocw.social', service: 'http://uptime-kuma.monitoring:3001' },
      { service: 'http_status:404' },
    ]);
  });
  // The page itself (nginx, its config, the texts): test/constructs/maintenance-page.test.ts.
  test('without stopWorkloads, Mastodon keeps running and migrations stay', () => {
    expect(find(on, 'Deployment', 'ocw-web').spec.replicas).toBe(2);
    expect(on.filter((o) => o.kind === 'Job')).toHaveLength(2);
  });
  test('stopWorkloads: web, streaming and Sidekiq at 0, no migration Jobs, cleanup suspended; database, Redis and tunnel untouched', () => {
    const off = render();
    const stopped = render(withChange(exampleRaw(), (x) => { x.maintenance = { enabled: true, stopWorkloads: true }; }));
    for (const d of stopped.filter((o) => o.kind === 'Deployment' && /^ocw-(web|streaming|sidekiq-)/.test(o.metadata.name))) {
      expect([d.metadata.name, d.spec.replicas]).toEqual([d.metadata.name, 0]);
    }
    expect(stopped.filter((o) => o.kind === 'Job')).toEqual([]);
    for (const n of ['ocw-media-remove', 'ocw-preview-cards-remove']) expect(find(stopped, 'CronJob', n).spec.suspend).toBe(true);
    for (const [k, n] of [['Cluster', 'ocw-db'], ['Pooler', 'ocw-db-pooler'], ['StatefulSet', 'ocw-redis'], ['Deployment', 'ocw-tunnel']]) {
      const a = { ...find(off, k, n) };
      const b = { ...find(stopped, k, n) };
      if (k === 'Deployment') {
        // Only the routes (and so the config checksum) differ for the tunnel.
        delete a.spec.template.metadata.annotations; delete b.spec.template.metadata.annotations;
      }
      expect(b).toEqual(a);
    }
  });
  test('switching back restores the exact previous manifests', () => {
    const before = JSON.stringify(render());
    render(withChange(exampleRaw(), (x) => { x.maintenance = { enabled: true, stopWorkloads: true }; }));
    const after = JSON.stringify(render(withChange(exampleRaw(), (x) => { x.maintenance = { enabled: false, stopWorkloads: false }; })));
    expect(after).toBe(before);
  });
  test('stopWorkloads without the page, and maintenance with a remote tunnel, are refused', () => {
    expect(errorsOf(withChange(exampleRaw(), (x) => { x.maintenance = { stopWorkloads: true }; }))[0]).toMatchObject({ path: 'maintenance.stopWorkloads' });
    const remote = errorsOf(withChange(exampleRaw(), (x) => {
      x.tunnel = { mode: 'remote', tokenSecret: { name: 't', key: 'token' } };
      x.maintenance = { enabled: true };
    }));
    expect(remote[0].message).toMatch(/remotely managed tunnel keeps its routes in Cloudflare/);
  });
  test('every new object validates strictly', () => {
    const v = new K8sValidator('v1.30.0');
    const stopped = render(withChange(exampleRaw(), (x) => { x.maintenance = { enabled: true, stopWorkloads: true }; }));
    expect(v.validateAll(stopped)).toEqual([]);
    expect(new K8sValidator('v1.28.0').validateAll(stopped)).toEqual([]);
  });
});

describe('Mastodon behind the tunnel', () => {
  test('TRUSTED_PROXY_IP trusts loopback and the pod network the connectors come from, space-separated', () => {
    expect(find(objects, 'ConfigMap', 'ocw-env').data.TRUSTED_PROXY_IP).toBe('127.0.0.1/32 ::1/128 10.42.0.0/16');
  });
});

// Formerly test/tunnel-shadow.test.ts (one file less for jest to load the library into).
/**
 * Rules that can never match. cloudflared takes the first rule that matches (ingress.go
 * FindMatchingRule); a rule matches when its host matches (exact, "*.example.com" = any name
 * ending in ".example.com" but not example.com itself, "" or "*" = any) and its path regexp
 * finds a match in the path (none = every path) (rule.go Rules.Matches, ingress.go matchHost).
 * A later rule whose every request an earlier rule already takes is dead: refuse it, naming both.
 */
describe('tunnel-shadow: rules that can never match', () => {
  const r = (hostname: string | undefined, path?: string, source?: string): SourcedRule => ({ hostname, path, service: 'http://x:80', source });
  const problems = (rules: SourcedRule[]) => validateIngressRules([...rules, CATCH_ALL]).map((p) => `${p.path}: ${p.message}`);

  test.each<[string, SourcedRule[], RegExp]>([
    ['a wildcard before a host it covers', [r('*.ocw.social', undefined, 'a'), r('media.ocw.social', undefined, 'b')], /^b: rule 2 \(hostname media\.ocw\.social\) can never match: rule 1 \(hostname \*\.ocw\.social\) \(a\) comes first/],
    ['a wildcard before a deeper host', [r('*.ocw.social', undefined, 'a'), r('a.b.ocw.social', '^/x', 'b')], /rule 2 .* can never match: rule 1/],
    ['a wildcard before a narrower wildcard', [r('*.ocw.social', undefined, 'a'), r('*.eu.ocw.social', undefined, 'b')], /rule 2 .* can never match: rule 1/],
    ['a host-only rule before a path rule on the same host', [r('ocw.social', undefined, 'a'), r('ocw.social', '^/admin', 'b')], /rule 2 \(hostname ocw\.social, path \^\/admin\) can never match: rule 1 \(hostname ocw\.social\)/],
    ['a path rule before the same path on a covered host', [r('*.ocw.social', '^/x', 'a'), r('m.ocw.social', '^/x', 'b')], /rule 2 .* can never match: rule 1/],
  ])('%s is refused', (_, rules, message) => {
    expect(problems(rules).join('\n')).toMatch(message);
  });

  test.each<[string, SourcedRule[]]>([
    ['a wildcard does not cover the bare domain', [r('*.ocw.social'), r('ocw.social')]],
    ['a specific host before a wildcard is fine', [r('media.ocw.social'), r('*.ocw.social')]],
    ['a path rule before the host-only rule is the right order', [r('ocw.social', '^/api/v1/streaming'), r('ocw.social')]],
    ['different paths on one host', [r('ocw.social', '^/a'), r('ocw.social', '^/b')]],
    ['a suffix that is not a label boundary', [r('*.cw.social'), r('ocw.social')]],
  ])('%s is accepted', (_, rules) => {
    expect(problems(rules)).toEqual([]);
  });

  test('an extra route on the Mastodon host is refused, naming the generated web rule', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.tunnel.extraRoutes = [{ hostname: 'ocw.social', path: '^/status', service: 'http://uptime-kuma.monitoring:3001' }];
    }));
    expect(messageAt(errors, 'tunnel.extraRoutes[0]')).toMatch(/can never match: rule \d \(hostname ocw\.social\), the route to Mastodon web, comes first.*give this route a host name of its own/);
  });

  test('an extra wildcard route before a specific one is refused, naming both', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.tunnel.extraRoutes = [
        { hostname: '*.tools.ocw.social', service: 'http://a.tools:80' },
        { hostname: 'grafana.tools.ocw.social', service: 'http://grafana.monitoring:3000' },
      ];
    }));
    expect(messageAt(errors, 'tunnel.extraRoutes[1]')).toMatch(/grafana\.tools\.ocw\.social\) can never match: rule \d+ \(hostname \*\.tools\.ocw\.social\) \(tunnel\.extraRoutes\[0\]\) comes first.*move it before/);
  });
});

// Formerly test/public-routes.test.ts (one file less for jest to load the library into).
/** A remotely managed tunnel's user gets the host names and Services to enter in Cloudflare. */
describe('public-routes: the host names and Services a remotely managed tunnel needs', () => {
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
});
