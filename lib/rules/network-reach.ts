/**
 * Who can reach whom: evaluates NetworkPolicy objects (as plain synthesized data) the way
 * Kubernetes does. A connection needs the source's egress and the destination's ingress to
 * allow it; a pod no policy of a direction selects is open in that direction. Pure: no cdk8s.
 */

/** A pod: its namespace, the namespace's labels and its own labels. */
export interface PodEnd {
  readonly kind: 'pod';
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Labels of its namespace. @default `kubernetes.io/metadata.name: <namespace>` */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

/** An address outside the cluster. */
export interface IpEnd {
  readonly kind: 'ip';
  readonly ip: string;
}

export type End = PodEnd | IpEnd;

/** A connection attempt. */
export interface Flow {
  readonly from: End;
  readonly to: End;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string; except?: string[] } }
interface PortRule { protocol?: string; port?: number | string; endPort?: number }
interface Rule { from?: Peer[]; to?: Peer[]; ports?: PortRule[] }
/** A NetworkPolicy as synthesized (plain data). */
export interface NetworkPolicyObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] };
}

/** Does a label selector match these labels? An empty selector matches everything. */
export function selectorMatches(sel: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const v = labels[e.key];
    switch (e.operator) {
      case 'In': if (!has || !(e.values ?? []).includes(v)) return false; break;
      case 'NotIn': if (has && (e.values ?? []).includes(v)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  return m.slice(1).reduce((n, o) => n * 256 + Number(o), 0);
}

/** Is an IPv4 address inside a CIDR? (IPv6 CIDRs never match an IPv4 address.) */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(base);
  if (a === undefined || b === undefined) return false;
  const bits = Number(bitsText);
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

function nsLabels(p: PodEnd): Readonly<Record<string, string>> {
  return p.namespaceLabels ?? { 'kubernetes.io/metadata.name': p.namespace };
}

function peerMatches(peer: Peer, policyNamespace: string, end: End): boolean {
  if (peer.ipBlock) {
    // Pod addresses are the cluster's own; policies here never grant them through ipBlocks.
    return end.kind === 'ip' && inCidr(end.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((x) => inCidr(end.ip, x));
  }
  if (end.kind !== 'pod') return false;
  const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, nsLabels(end)) : end.namespace === policyNamespace;
  return nsOk && selectorMatches(peer.podSelector, end.labels);
}

function portMatches(rules: PortRule[] | undefined, port: number, protocol: string): boolean {
  if (!rules || rules.length === 0) return true;
  return rules.some((r) => (r.protocol ?? 'TCP') === protocol
    && (r.port === undefined || (typeof r.port === 'number' && (r.endPort ? port >= r.port && port <= r.endPort : port === r.port))));
}

function allowedBy(policies: readonly NetworkPolicyObject[], pod: PodEnd, direction: 'Ingress' | 'Egress', peer: End, port: number, protocol: string): boolean {
  const selecting = policies.filter((p) => (p.metadata.namespace ?? pod.namespace) === pod.namespace
    && selectorMatches(p.spec.podSelector, pod.labels)
    && (p.spec.policyTypes ?? ['Ingress']).includes(direction));
  if (selecting.length === 0) return true;
  return selecting.some((p) => {
    const rules = (direction === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? [];
    const ns = p.metadata.namespace ?? pod.namespace;
    return rules.some((r) => {
      const peers = direction === 'Ingress' ? r.from : r.to;
      const peerOk = !peers || peers.length === 0 || peers.some((x) => peerMatches(x, ns, peer));
      return peerOk && portMatches(r.ports, port, protocol);
    });
  });
}

/** True when the policies let this connection through. */
export function canReach(policies: readonly NetworkPolicyObject[], flow: Flow): boolean {
  const protocol = flow.protocol ?? 'TCP';
  const netpols = policies.filter((p) => p.kind === 'NetworkPolicy');
  const egressOk = flow.from.kind === 'ip' || allowedBy(netpols, flow.from, 'Egress', flow.to, flow.port, protocol);
  const ingressOk = flow.to.kind === 'ip' || allowedBy(netpols, flow.to, 'Ingress', flow.from, flow.port, protocol);
  return egressOk && ingressOk;
}
