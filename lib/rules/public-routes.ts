/**
 * The public host names and the Services behind them, for a remotely managed tunnel (its routes
 * live in the Cloudflare dashboard, so the user enters them by hand) or to review a local one.
 * The same rules the chart writes for a locally managed tunnel. Pure: no cdk8s imports.
 */
import { MAINTENANCE_PORT, serviceNames, STREAMING_PORT, WEB_PORT } from './services';
import { generateIngressRules } from './tunnel-rules';
import { authCallbackUrls } from './mastodon-settings';
import type { ResolvedConfig, IngressRule } from '../model';

/** The routes of the config, in match order, without the catch-all. */
export function publicRoutes(c: ResolvedConfig): IngressRule[] {
  const local = c.resolvedTunnel?.rules;
  const svc = serviceNames(c.name);
  const rules = local ?? generateIngressRules({
    mastodonHosts: c.webDomain ? [c.webDomain, c.domain] : [c.domain],
    streamingService: `http://${svc.streaming}:${STREAMING_PORT}`,
    webService: `http://${svc.web}:${WEB_PORT}`,
    maintenanceService: c.maintenance.enabled ? `http://${svc.maintenance}:${MAINTENANCE_PORT}` : undefined,
    extraRoutes: [],
  });
  return rules.filter((r) => r.hostname !== undefined || r.path !== undefined).map(({ hostname, path, service }) => ({ hostname, path, service }));
}

/** The routes as text to follow in the Cloudflare dashboard. */
export function formatPublicRoutes(c: ResolvedConfig): string {
  const routes = publicRoutes(c);
  const remote = c.tunnel?.mode === 'remote';
  const w = Math.max(8, ...routes.map((r) => (r.hostname ?? '').length));
  const pw = Math.max(4, ...routes.map((r) => (r.path ?? '').length));
  const lines = routes.map((r, i) => `  ${i + 1}. ${(r.hostname ?? '*').padEnd(w)}  ${(r.path ?? '').padEnd(pw)}  ${r.service}`);
  return [
    remote
      ? `Public hostnames for the remotely managed tunnel: in the Cloudflare dashboard (Zero Trust > Networks > Tunnels > your tunnel > Public Hostname), add these in this order; cloudflared uses the first that matches, so the streaming path must come before the bare host. The service names resolve because cloudflared runs in namespace ${c.namespace}.`
      : `Routes of the locally managed tunnel (written into its ConfigMap by the chart), in match order:`,
    `     ${'hostname'.padEnd(w)}  ${'path'.padEnd(pw)}  service`,
    ...lines,
    '  then everything else: http_status:404',
    ...(formatAuthCallbacks(c) ? ['', formatAuthCallbacks(c)] : []),
  ].join('\n');
}

/** The URLs to register at the identity provider (auth.oidc, auth.saml), or '' when there are none. */
export function formatAuthCallbacks(c: Pick<ResolvedConfig, 'domain' | 'webDomain' | 'auth'>): string {
  const urls = authCallbackUrls(c, c.auth);
  if (urls.length === 0) return '';
  return ['Single sign-on: register these at the identity provider:', ...urls.map((u) => `  ${u.provider}: ${u.url}`)].join('\n');
}
