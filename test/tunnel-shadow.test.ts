/**
 * Rules that can never match. cloudflared takes the first rule that matches (ingress.go
 * FindMatchingRule); a rule matches when its host matches (exact, "*.example.com" = any name
 * ending in ".example.com" but not example.com itself, "" or "*" = any) and its path regexp
 * finds a match in the path (none = every path) (rule.go Rules.Matches, ingress.go matchHost).
 * A later rule whose every request an earlier rule already takes is dead: refuse it, naming both.
 */
import { CATCH_ALL, SourcedRule, validateIngressRules } from '../lib';
import { errorsOf, exampleRaw, messageAt, withChange } from './support/fixtures';

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
