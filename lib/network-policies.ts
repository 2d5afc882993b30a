import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity, standardLabels } from './conventions/labels';
import { resourceName } from './rules/names';
import { waveAnnotations } from './conventions/ordering';
import { cnpgNames } from './rules/database';
import { MAINTENANCE_PORT, STREAMING_PORT, TUNNEL_METRICS_PORT, WEB_PORT } from './rules/services';
import { PGBOUNCER_METRICS_PORT, POSTGRES_METRICS_PORT, REDIS_EXPORTER_PORT, RUBY_METRICS_PORT } from './rules/metrics';
import { OPENSEARCH_PORT } from './rules/search';
import { ldapPort } from './rules/mastodon-settings';
import type { ResolvedConfig } from './model';

/** Props for {@link NetworkPolicies}. */
export interface NetworkPoliciesProps {
  /** The resolved configuration. */
  readonly config: ResolvedConfig;
}

/** Public Internet: everything but private, link-local and carrier-grade NAT ranges (no SSRF into the LAN). */
export const INTERNET_V4: k8s.IpBlock = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'] };
export const INTERNET_V6: k8s.IpBlock = { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] };
/** Ports the Kubernetes API answers on (the Service's 443, and k3s' 6443 after DNAT). */
const API_PORTS = [443, 6443];
/** cloudflared's outbound port to Cloudflare's edge (TCP for http2, UDP for QUIC). */
export const CLOUDFLARE_EDGE_PORT = 7844;

type Peer = k8s.NetworkPolicyPeer;
const tcp = (...ports: number[]): k8s.NetworkPolicyPort[] => ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
const udp = (...ports: number[]): k8s.NetworkPolicyPort[] => ports.map((port) => ({ protocol: 'UDP', port: k8s.IntOrString.fromNumber(port) }));
const inNamespace = (ns: string, podLabels?: Record<string, string>): Peer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
  ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
});
const internet: Peer[] = [{ ipBlock: INTERNET_V4 }, { ipBlock: INTERNET_V6 }];
const anywhere: Peer[] = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];

/**
 * NetworkPolicies: nothing in the namespace accepts or opens a connection unless a policy here
 * allows it. Every pod may use cluster DNS; Mastodon's web and Sidekiq may reach the public
 * Internet on 80/443 (federation, object storage) and the SMTP port; everything else reaches
 * only what it uses. Policies add up, so opening more is one extra NetworkPolicy.
 */
export class NetworkPolicies extends Construct {
  /** Every policy, by short name. */
  public readonly policies: Readonly<Record<string, k8s.KubeNetworkPolicy>>;

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const c = props.config;
    const inst = c.name;
    // This instance's pods of one component, or of any of several.
    const selector = (component: string | string[]): k8s.LabelSelector => (typeof component === 'string'
      ? { matchLabels: { 'app.kubernetes.io/instance': inst, 'app.kubernetes.io/component': component } }
      : { matchLabels: { 'app.kubernetes.io/instance': inst }, matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: component }] });
    const from = (component: string | string[]): Peer => ({ podSelector: selector(component) });
    const n = cnpgNames(inst);
    const cnpg = c.database.mode === 'cnpg';
    const instances: Peer = { podSelector: { matchLabels: { 'cnpg.io/cluster': n.cluster } } };
    const poolerPods: Peer = { podSelector: { matchLabels: { 'cnpg.io/poolerName': n.pooler } } };
    const redisInternal = c.redis.mode === 'internal';
    const redisPort = c.redis.mode === 'internal' ? 6379 : c.redis.port;
    // The search index Job, while search is on: a Rails process with the database and Redis.
    const searchJob = c.search.mode === 'off' ? [] : ['search-deploy'];
    const mastodon = ['web', 'streaming', 'sidekiq', 'migrate', 'cleanup', ...searchJob];
    const identity: Identity = { instance: inst, component: 'network', version: c.images.mastodon.tag };
    // Prometheus: with monitoring on, exactly monitoring.namespace (and its Prometheus pods when
    // named) on exactly the metrics ports; otherwise the older network.monitoringNamespace, which
    // only opens the ports that exist without monitoring (Postgres, PgBouncer, cloudflared).
    const mon = c.resolvedMonitoring;
    const prometheus: Peer | undefined = mon ? inNamespace(mon.namespace, mon.prometheusPodLabels)
      : c.network.monitoringNamespace ? inNamespace(c.network.monitoringNamespace) : undefined;
    const scrape = (port: number): k8s.NetworkPolicyIngressRule[] => (mon && prometheus ? [{ from: [prometheus], ports: tcp(port) }] : []);
    const out: Record<string, k8s.KubeNetworkPolicy> = {};
    const policy = (short: string, spec: k8s.NetworkPolicySpec) => {
      out[short] = new k8s.KubeNetworkPolicy(this, short, {
        metadata: { name: resourceName(inst, 'netpol', short), labels: standardLabels(identity), annotations: waveAnnotations('secrets') },
        spec,
      });
    };

    // Where each Mastodon component's database and Redis connections go.
    const dbEgress = (direct: boolean): k8s.NetworkPolicyEgressRule[] => cnpg
      ? [{ to: [direct ? instances : poolerPods], ports: tcp(5432) }]
      : [{ to: anywhere, ports: tcp((c.database as { port: number }).port) }];
    const redisEgress: k8s.NetworkPolicyEgressRule[] = [{ to: redisInternal ? [from('redis')] : anywhere, ports: tcp(redisPort) }];
    const federation: k8s.NetworkPolicyEgressRule[] = [{ to: internet, ports: tcp(80, 443, c.smtp.port) }];

    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy('dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [inNamespace(c.network.dns.namespace, c.network.dns.podLabels)], ports: [...udp(53), ...tcp(53)] }],
    });
    policy('web', {
      podSelector: selector('web'),
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [from('tunnel')], ports: tcp(WEB_PORT) }],
      egress: [
        ...dbEgress(false), ...redisEgress, ...federation,
        // Puma sends its metrics to the web-metrics pods (lib/web-metrics.ts).
        ...(mon ? [{ to: [from('web-metrics')], ports: tcp(RUBY_METRICS_PORT) }] : []),
        // Sign-in and translation happen in web's requests: the directory, the identity provider, LibreTranslate.
        ...integrationEgress(c),
      ],
    });
    if (mon) {
      // The exporter web sends to: web in, Prometheus in, nothing out (it only listens).
      policy('web-metrics', {
        podSelector: selector('web-metrics'),
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [from('web')], ports: tcp(RUBY_METRICS_PORT) }, ...scrape(RUBY_METRICS_PORT)],
        egress: [],
      });
    }
    policy('streaming', {
      podSelector: selector('streaming'),
      policyTypes: ['Ingress', 'Egress'],
      // The streaming server serves /metrics on its only port.
      ingress: [{ from: [from('tunnel')], ports: tcp(STREAMING_PORT) }, ...scrape(STREAMING_PORT)],
      egress: [...dbEgress(false), ...redisEgress],
    });
    policy('sidekiq', {
      podSelector: selector('sidekiq'),
      policyTypes: ['Ingress', 'Egress'],
      ...(mon ? { ingress: scrape(RUBY_METRICS_PORT) } : {}),
      egress: [...dbEgress(false), ...redisEgress, ...federation],
    });
    policy('jobs', {
      podSelector: selector(['migrate', 'cleanup']),
      policyTypes: ['Ingress', 'Egress'],
      // Migrations go to the primary directly; tootctl deletes media from object storage.
      egress: [...dbEgress(true), ...dbEgress(false), ...redisEgress, { to: internet, ports: tcp(443) }],
    });
    if (c.search.mode !== 'off') {
      // Web searches, Sidekiq updates the indices, the Job fills them: only they reach the search server.
      const searchers = ['web', 'sidekiq', 'search-deploy'];
      const s = c.search;
      policy('search-clients', {
        podSelector: selector(searchers),
        policyTypes: ['Egress'],
        egress: s.mode === 'internal' ? [{ to: [from('search')], ports: tcp(OPENSEARCH_PORT) }] : routeEgress(`${s.scheme}://${s.host}:${s.port}`),
      });
      policy('search-deploy', {
        podSelector: selector('search-deploy'),
        policyTypes: ['Ingress', 'Egress'],
        egress: [...dbEgress(false), ...redisEgress],
      });
      if (s.mode === 'internal') {
        // The security plugin is off (lib/opensearch.ts): this policy is its only gate.
        policy('search', {
          podSelector: selector('search'),
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ from: [from(searchers)], ports: tcp(OPENSEARCH_PORT) }],
          egress: [],
        });
      }
    }
    if (redisInternal) {
      // With KEDA, its operator pods read the queue lengths (LLEN) from Redis: that port only.
      const keda = c.sidekiq.keda;
      policy('redis', {
        podSelector: selector('redis'),
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          // redis-metrics: the exporter's own pods (lib/redis.ts), with monitoring on.
          { from: [from(mon ? [...mastodon, 'redis-metrics'] : mastodon)], ports: tcp(6379) },
          ...(keda ? [{ from: [inNamespace(keda.operatorNamespace, keda.operatorPodLabels)], ports: tcp(6379) }] : []),
        ],
      });
      if (mon) {
        // The exporter: Prometheus in on its port, out only to Redis.
        policy('redis-metrics', {
          podSelector: selector('redis-metrics'),
          policyTypes: ['Ingress', 'Egress'],
          ingress: scrape(REDIS_EXPORTER_PORT),
          egress: [{ to: [from('redis')], ports: tcp(6379) }],
        });
      }
    }
    if (Object.keys(c.restarts.sidekiq).length > 0 || c.restarts.web || c.restarts.streaming) {
      // The scheduled restarts talk to the Kubernetes API and nothing else.
      policy('restart', {
        podSelector: selector('restart'),
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: anywhere, ports: tcp(...API_PORTS) }],
      });
    }
    if (c.tunnel) {
      const routes = (c.resolvedTunnel?.rules ?? []).filter((r) => r.source !== undefined);
      policy('tunnel', {
        podSelector: selector('tunnel'),
        policyTypes: ['Ingress', 'Egress'],
        ...(prometheus ? { ingress: [{ from: [prometheus], ports: tcp(TUNNEL_METRICS_PORT) }] } : {}),
        egress: [
          { to: internet, ports: [...tcp(CLOUDFLARE_EDGE_PORT, 443), ...udp(CLOUDFLARE_EDGE_PORT)] },
          { to: [from('web')], ports: tcp(WEB_PORT) },
          { to: [from('streaming')], ports: tcp(STREAMING_PORT) },
          { to: [from('maintenance')], ports: tcp(MAINTENANCE_PORT) },
          ...routes.flatMap((r) => routeEgress(r.service)),
        ],
      });
      policy('maintenance', {
        podSelector: selector('maintenance'),
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [from('tunnel')], ports: tcp(MAINTENANCE_PORT) }],
      });
    }
    if (cnpg) {
      policy('postgres', {
        podSelector: { matchLabels: { 'cnpg.io/cluster': n.cluster } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [poolerPods, from(['migrate', 'amcheck']), instances], ports: tcp(5432) },
          // Replication peers and the operator ask the instance manager for status on 8000.
          { from: [instances, inNamespace(c.network.cnpgOperatorNamespace)], ports: tcp(8000, 5432) },
          ...(prometheus ? [{ from: [prometheus], ports: tcp(POSTGRES_METRICS_PORT) }] : []),
        ],
        egress: [
          { to: [instances], ports: tcp(5432, 8000) },
          // The Kubernetes API (instance manager) and object storage (WAL archiving, base backups).
          { to: anywhere, ports: tcp(...API_PORTS) },
          // bootstrap.mode import: the import job reads the old server.
          ...(c.database.mode === 'cnpg' && c.database.bootstrap.mode === 'import' ? [{ to: anywhere, ports: tcp(c.database.bootstrap.port) }] : []),
        ],
      });
      policy('pooler', {
        podSelector: { matchLabels: { 'cnpg.io/poolerName': n.pooler } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [from(['web', 'streaming', 'sidekiq', 'cleanup', ...searchJob])], ports: tcp(5432) },
          { from: [inNamespace(c.network.cnpgOperatorNamespace)], ports: tcp(8000) },
          ...(prometheus ? [{ from: [prometheus], ports: tcp(PGBOUNCER_METRICS_PORT) }] : []),
        ],
        egress: [{ to: [instances], ports: tcp(5432) }, { to: anywhere, ports: tcp(...API_PORTS) }],
      });
      policy('amcheck', {
        podSelector: selector('amcheck'),
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [instances], ports: tcp(5432) }],
      });
      if (c.database.mode === 'cnpg' && c.database.backup.volumeSnapshot) {
        policy('snapshot-retention', {
          podSelector: selector('backup'),
          policyTypes: ['Ingress', 'Egress'],
          egress: [{ to: anywhere, ports: tcp(...API_PORTS) }],
        });
      }
    }
    this.policies = out;
  }
}

/**
 * Egress for an extra tunnel route: `http://svc.ns:port` reaches that namespace on that port;
 * any other host (an IP, an outside name) is allowed on its port.
 */
export function routeEgress(service: string): k8s.NetworkPolicyEgressRule[] {
  let url: URL;
  try {
    url = new URL(service);
  } catch {
    return [];
  }
  if (!/^https?:$/.test(url.protocol)) return [];
  return hostEgress(url.hostname, Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
}

/** Egress to one host and port: `svc` this namespace, `svc.ns[.svc[.cluster.local]]` that namespace, anything else anywhere. */
export function hostEgress(hostname: string, port: number): k8s.NetworkPolicyEgressRule[] {
  const parts = hostname.split('.');
  const to: Peer[] = /^[0-9.]+$|:/.test(hostname) ? anywhere
    : parts.length === 1 ? [{ podSelector: {} }]
      : parts.length === 2 || parts[2] === 'svc' ? [inNamespace(parts[1])]
        : anywhere;
  return [{ to, ports: tcp(port) }];
}

/**
 * What web reaches for the `auth` and `translation` sections beyond the public Internet on 80
 * and 443, which it has already (federation): the LDAP server on its port; the OIDC provider
 * and LibreTranslate when they are in the cluster, an IP address, or on another port. DeepL is
 * on the public Internet on 443. SAML needs nothing: the browser carries its messages.
 */
export function integrationEgress(c: Pick<ResolvedConfig, 'auth' | 'translation'>): k8s.NetworkPolicyEgressRule[] {
  const oidc = c.auth?.oidc;
  const urls = [
    ...(oidc ? [oidc.issuer, ...Object.values(oidc.endpoints ?? {})] : []),
    ...(c.translation?.provider === 'libretranslate' ? [c.translation.endpoint] : []),
  ];
  const covered = (r: k8s.NetworkPolicyEgressRule) => r.to === anywhere && (r.ports ?? []).every((p) => [80, 443].includes(Number(p.port?.value)));
  const rules = urls.flatMap((u) => routeEgress(u)).filter((r) => !covered(r));
  const ldap = c.auth?.ldap;
  if (ldap) rules.push(...hostEgress(ldap.host, ldapPort(ldap)));
  // One rule per peer and port.
  const seen = new Set<string>();
  return rules.filter((r) => {
    const k = JSON.stringify(r);
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
