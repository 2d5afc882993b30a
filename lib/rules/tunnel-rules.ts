/**
 * Cloudflare Tunnel ingress rules: generated from the chart, and checked the way
 * `cloudflared tunnel ingress validate` checks them. Pure: no cdk8s imports.
 */
import type { IngressRule, SourcedRule } from '../model';

/** A problem with one rule. */
export interface RuleProblem {
  readonly path: string;
  readonly message: string;
}

/** The services cloudflared knows besides URLs. */
const SPECIAL_SERVICE = /^(http_status:[1-5][0-9]{2}|hello_world|bastion)$/;
const HOST_LABEL = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

/** What the generator needs: the host names and the in-cluster Services. */
export interface TunnelRouting {
  /** Host names that serve Mastodon (domain, and webDomain when set). */
  readonly mastodonHosts: readonly string[];
  /** `http://<name>-streaming:4000`. */
  readonly streamingService: string;
  /** `http://<name>-web:3000`. */
  readonly webService: string;
  /** Set during maintenance: every Mastodon host goes here instead. */
  readonly maintenanceService?: string;
  /** More routes from the config, in order. */
  readonly extraRoutes: readonly SourcedRule[];
}

/** The path rule that sends the streaming API to the streaming server. */
export const STREAMING_PATH = '^/api/v1/streaming';
/** The catch-all every config ends with. */
export const CATCH_ALL: IngressRule = { service: 'http_status:404' };

/**
 * Streaming before web on every Mastodon host (cloudflared takes the first match), then the
 * extra routes, then the 404 catch-all. In maintenance, every Mastodon host goes to the page.
 */
export function generateIngressRules(r: TunnelRouting): SourcedRule[] {
  const rules: SourcedRule[] = [];
  if (r.maintenanceService) {
    for (const hostname of r.mastodonHosts) rules.push({ hostname, service: r.maintenanceService, role: 'the route to the maintenance page' });
  } else {
    for (const hostname of r.mastodonHosts) rules.push({ hostname, path: STREAMING_PATH, service: r.streamingService, role: 'the route to Mastodon streaming' });
    for (const hostname of r.mastodonHosts) rules.push({ hostname, service: r.webService, role: 'the route to Mastodon web' });
  }
  rules.push(...r.extraRoutes, CATCH_ALL);
  return rules;
}

function describe(rule: SourcedRule, i: number): string {
  const what = rule.hostname ? `hostname ${rule.hostname}${rule.path ? `, path ${rule.path}` : ''}` : 'no hostname';
  return `rule ${i + 1} (${what})`;
}

/**
 * Whether every host `inner` matches, `outer` matches too. cloudflared's matchHost
 * (ingress/ingress.go): equal names match; `*.example.com` matches any name that ends in
 * `.example.com` (any depth, never example.com itself); a rule with no hostname or `*` matches
 * every host.
 */
function hostCovers(outer: string | undefined, inner: string | undefined): boolean {
  if (outer === undefined || outer === '*') return true;
  if (inner === undefined || inner === '*') return false;
  if (outer === inner) return true;
  if (!outer.startsWith('*.')) return false;
  return inner.endsWith(outer.slice(1));
}

/**
 * Whether every path `inner` matches, `outer` matches too. A rule without a path matches every
 * path; a path is a Go regexp searched in the request path (Rule.Matches in ingress/rule.go), so
 * beyond equal expressions containment cannot be decided: only those two cases count.
 */
function pathCovers(outer: string | undefined, inner: string | undefined): boolean {
  return outer === undefined || outer === inner;
}

/** Every problem `cloudflared tunnel ingress validate` would report, each naming its rule. */
export function validateIngressRules(rules: readonly SourcedRule[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    const path = rule.source ?? 'tunnel';
    const name = describe(rule, i);
    const last = i === rules.length - 1;
    if (last && (rule.hostname !== undefined || rule.path !== undefined)) {
      problems.push({ path, message: `${name} is the last rule, so it must be a catch-all with no hostname and no path (e.g. service: http_status:404); add a catch-all after it` });
    }
    if (!last && rule.hostname === undefined && rule.path === undefined) {
      problems.push({ path, message: `${name} matches everything, so the rules after it are never used; only the last rule may be a catch-all: give it a hostname or move it to the end` });
    }
    if (rule.hostname !== undefined) {
      const labels = rule.hostname.split('.');
      const wildcardAt = labels.findIndex((l) => l.includes('*'));
      if (wildcardAt > 0 || (wildcardAt === 0 && labels[0] !== '*')) {
        problems.push({ path, message: `${name}: a wildcard may only lead a hostname, as in *.example.social; '${rule.hostname}' has it elsewhere` });
      } else if (!labels.every((l) => HOST_LABEL.test(l)) || labels.length < 2) {
        problems.push({ path, message: `${name}: '${rule.hostname}' is not a valid host name (lower-case letters, digits and '-', at least two labels)` });
      }
    }
    if (rule.path !== undefined) {
      try {
        new RegExp(rule.path);
      } catch {
        problems.push({ path, message: `${name}: path '${rule.path}' is not a valid regular expression` });
      }
    }
    if (!SPECIAL_SERVICE.test(rule.service)) {
      let url: URL | undefined;
      try {
        url = new URL(rule.service);
      } catch {
        problems.push({ path, message: `${name}: service '${rule.service}' is neither a URL such as http://ocw-web:3000 nor http_status:NNN` });
      }
      if (url) {
        if (!['http:', 'https:', 'tcp:', 'ssh:', 'rdp:', 'unix:', 'ws:', 'wss:'].includes(url.protocol)) {
          problems.push({ path, message: `${name}: service '${rule.service}' has an unsupported scheme ${url.protocol}; use http:// or https://` });
        } else if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
          problems.push({ path, message: `${name}: service '${rule.service}' has a path; cloudflared services are scheme://host:port only (match paths with the rule's path instead)` });
        }
      }
    }
    const key = `${rule.hostname ?? '*'}|${rule.path ?? ''}`;
    if (seen.has(key)) {
      problems.push({ path, message: `${name} repeats the hostname and path of rule ${seen.get(key)! + 1}; the second can never match: remove it or change its path` });
    } else {
      seen.set(key, i);
      // cloudflared uses the first rule that matches: a later rule all of whose requests an
      // earlier one takes is dead. (A catch-all before the end is reported above.)
      const earlier = rules.slice(0, i).findIndex((e) => (e.hostname !== undefined || e.path !== undefined)
        && hostCovers(e.hostname, rule.hostname) && pathCovers(e.path, rule.path));
      if (!last && earlier >= 0) {
        const e = rules[earlier];
        const first = `${describe(e, earlier)}${e.role ? `, ${e.role},` : e.source ? ` (${e.source})` : ''}`;
        problems.push({
          path,
          message: `${name} can never match: ${first} comes first and takes every request it would (cloudflared uses the first rule that matches); ${e.role
            ? `give this route a host name of its own (e.g. status.${e.hostname?.replace(/^\*\./, '')})`
            : `move it before rule ${earlier + 1}, or narrow rule ${earlier + 1}`}`,
        });
      }
    }
  });
  if (rules.length === 0) problems.push({ path: 'tunnel', message: 'there are no ingress rules; the last rule must be a catch-all such as http_status:404' });
  return problems;
}
