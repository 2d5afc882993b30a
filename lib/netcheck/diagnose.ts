/**
 * The diagnosis: node×node matrices per path kind, then findings in plain words. Pure.
 */
import { FlannelBackend, OVERLAY_OVERHEAD } from '../rules/k3s';
import { IfaceReport, MtuProbe, Net, NETS, PATH_KINDS, PathKind, pathKind, Results, TcpResult, UdpResult } from './types';

/** A pod path below this share of the node path between the same two nodes is "much slower". */
export const SLOW_RATIO = 0.5;
/**
 * The share of sent segments retransmitted above which a TCP run counts as retransmitting
 * heavily, in percent. A share, not a count per second: Cubic on a clean 30 ms path retransmits
 * a few hundred segments in 10 s at 200 Mb/s (~0.1%, its slow-start overshoot and queue filling),
 * which is healthy; a loss-limited or black-holed path retransmits several percent.
 */
export const HIGH_RETRANSMIT_PERCENT = 1;
/** Segment size used to count segments from throughput (1500-byte MTU less 52 bytes of headers). */
export const ASSUMED_MSS = 1448;
/** A link with at least this mean RTT counts as long (a home line through a VPN, another region). */
export const LONG_RTT_MS = 20;
/** UDP loss at the fixed rate above which a link counts as lossy. */
export const LOSSY_PERCENT = 0.5;
export { OVERLAY_OVERHEAD };
export type { FlannelBackend };

/** One cell of a matrix. */
export interface Cell {
  readonly tcp?: TcpResult;
  readonly udp?: UdpResult;
  /** The largest don't-fragment probe that passed, and the smallest that failed. */
  readonly mtuOk?: number;
  readonly mtuFail?: number;
}

/** One finding, in plain words. */
export interface Finding {
  readonly kind: 'overlay' | 'mtu' | 'congestion' | 'silent' | 'unreachable' | 'malformed' | 'healthy';
  readonly message: string;
}

/** The whole diagnosis. */
export interface Diagnosis {
  readonly nodes: readonly string[];
  /** matrices[kind].get(from)?.get(to) */
  readonly matrices: Readonly<Record<PathKind, ReadonlyMap<string, ReadonlyMap<string, Cell>>>>;
  readonly findings: readonly Finding[];
  /** True when nothing but the healthy finding was found. */
  readonly healthy: boolean;
  /** True when BBR is recommended (the report then prints which workloads to restart). */
  readonly recommendsBbr: boolean;
}

const mbps = (bps?: number) => (bps === undefined ? '?' : `${(bps / 1e6).toFixed(bps < 1e7 ? 1 : 0)} Mb/s`);
/** Retransmits as a percentage of the segments sent (estimated from throughput × time / MSS). */
const retransmitPercent = (t: TcpResult) => {
  const segments = ((t.bitsPerSecond ?? 0) * (t.seconds ?? 10)) / 8 / ASSUMED_MSS;
  return (100 * (t.retransmits ?? 0)) / Math.max(1, segments);
};
const heavy = (t: TcpResult) => retransmitPercent(t) >= HIGH_RETRANSMIT_PERCENT;

function backendOf(ifaces: readonly IfaceReport[], node: string): FlannelBackend | undefined {
  const host = ifaces.find((r) => r.node === node && r.net === 'host');
  if (!host) return undefined;
  if ('flannel-wg' in host.mtus) return 'wireguard-native';
  if ('flannel.1' in host.mtus) return 'vxlan';
  return undefined;
}

function mtuBounds(probes: readonly MtuProbe[]): { ok?: number; fail?: number } {
  const ok = probes.filter((p) => p.ok).map((p) => p.size);
  const fail = probes.filter((p) => !p.ok).map((p) => p.size);
  return { ok: ok.length ? Math.max(...ok) : undefined, fail: fail.length ? Math.min(...fail) : undefined };
}

/** Builds the matrices and the findings. `nodes` is the inventory; nodes seen only in the logs are added. */
export function diagnose(results: Results, options: { nodes?: readonly string[]; backend?: FlannelBackend } = {}): Diagnosis {
  const seen = new Set<string>(options.nodes ?? []);
  for (const r of [...results.tcp, ...results.udp, ...results.mtu]) { seen.add(r.from); seen.add(r.to); }
  for (const r of results.ifaces) seen.add(r.node);
  const nodes = options.nodes ? [...options.nodes, ...[...seen].filter((n) => !options.nodes!.includes(n)).sort()] : [...seen].sort();

  const matrices = {} as Record<PathKind, Map<string, Map<string, Cell>>>;
  for (const k of PATH_KINDS) matrices[k] = new Map(nodes.map((n) => [n, new Map<string, Cell>()]));
  const cellOf = (k: PathKind, from: string, to: string) => matrices[k].get(from)!.get(to) ?? {};
  const put = (k: PathKind, from: string, to: string, patch: Partial<Cell>) => matrices[k].get(from)!.set(to, { ...cellOf(k, from, to), ...patch });
  for (const t of results.tcp) put(pathKind(t.fromNet, t.toNet), t.from, t.to, { tcp: t });
  for (const u of results.udp) put(pathKind(u.fromNet, u.toNet), u.from, u.to, { udp: u });
  const probeGroups = new Map<string, MtuProbe[]>();
  for (const p of results.mtu) {
    const key = JSON.stringify([p.from, p.fromNet, p.to, p.toNet]);
    probeGroups.set(key, [...(probeGroups.get(key) ?? []), p]);
  }
  for (const group of probeGroups.values()) {
    const { ok, fail } = mtuBounds(group);
    put(pathKind(group[0].fromNet, group[0].toNet), group[0].from, group[0].to, { mtuOk: ok, mtuFail: fail });
  }

  const findings: Finding[] = [];
  const ifaceOf = (node: string, n: Net) => results.ifaces.find((r) => r.node === node && r.net === n);

  // Nodes that never reported, and servers nobody reached.
  for (const node of nodes) {
    for (const n of NETS) {
      const sent = [...results.tcp, ...results.udp, ...results.mtu].some((r) => r.from === node && r.fromNet === n);
      if (!sent && !results.done.includes(`${node}/${n}`)) {
        findings.push({ kind: 'silent', message: `${node} (${n === 'host' ? 'host network' : 'pod network'}) never reported: its client Job did not run or its log was not collected. Check \`kubectl -n netcheck describe job\` for it (Pending for lack of room, image not pulled for its architecture, deadline exceeded) and collect its log again.` });
      }
    }
    for (const n of NETS) {
      const towards = results.tcp.filter((t) => t.to === node && t.toNet === n);
      if (towards.length > 0 && towards.every((t) => t.error)) {
        findings.push({ kind: 'unreachable', message: `nobody reached ${node}'s ${n === 'host' ? 'host-network' : 'pod-network'} iperf3 server (${towards[0].error}). Is its server pod Running, and does the node's firewall let 5201/tcp and 5201/udp in from the other nodes?` });
      }
    }
  }

  // MTU: per pair of nodes, the node path's limit against what the pods send; one finding per
  // limiting interface, naming every pair it hurts.
  const mtuPairs = new Set<string>();
  const unreachable = new Set(findings.filter((f) => f.kind === 'unreachable').map((f) => /reached (\S+?)'s/.exec(f.message)?.[1]));
  const mtuGroups = new Map<string, { pairs: string[]; evidence: string[]; limit?: number; small?: { n: string; iface: string; mtu: number }; podMtu?: number; backend: FlannelBackend }>();
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b || unreachable.has(a) || unreachable.has(b)) continue;
      const nn = cellOf('node→node', a, b);
      const pp = cellOf('pod→pod', a, b);
      const podMtu = ifaceOf(a, 'pod')?.mtus.eth0;
      const backend = backendOf(results.ifaces, a) ?? options.backend ?? 'vxlan';
      const overhead = OVERLAY_OVERHEAD[backend];
      // "A big probe fails where a smaller one passes."
      const pathLimit = nn.mtuFail !== undefined && nn.mtuOk !== undefined && nn.mtuFail > nn.mtuOk ? nn.mtuOk : undefined;
      const podBlackHole = pp.mtuOk !== undefined && pp.mtuFail !== undefined && pp.mtuFail > pp.mtuOk && podMtu !== undefined && pp.mtuFail <= podMtu;
      const tooBig = pathLimit !== undefined && podMtu !== undefined && podMtu > pathLimit - overhead;
      if (!tooBig && !podBlackHole) continue;
      const pair = [a, b].sort().join(' ');
      if (mtuPairs.has(pair)) continue;
      mtuPairs.add(pair);
      // Which interface holds the path down: the smaller default-route MTU of the two nodes.
      const small = [a, b].map((n) => ({ n, r: ifaceOf(n, 'host') })).filter((x) => x.r?.defaultIface && x.r.mtus[x.r.defaultIface] !== undefined)
        .map((x) => ({ n: x.n, iface: x.r!.defaultIface!, mtu: x.r!.mtus[x.r!.defaultIface!] }))
        .sort((x, y) => x.mtu - y.mtu)[0];
      const limit = pathLimit ?? small?.mtu;
      const key = `${small && small.mtu < 1500 ? small.n : '?'}|${limit}|${backend}`;
      const g = mtuGroups.get(key) ?? { pairs: [], evidence: [], limit, small: small && small.mtu < 1500 ? small : undefined, podMtu, backend };
      g.pairs.push(`${a}–${b}`);
      if (g.evidence.length === 0) {
        if (pathLimit !== undefined) g.evidence.push(`node to node a ${nn.mtuFail}-byte don't-fragment probe fails where ${nn.mtuOk} passes`);
        if (podBlackHole) g.evidence.push(`pod to pod a ${pp.mtuFail}-byte probe fails although the pods' eth0 MTU is ${podMtu}`);
      }
      mtuGroups.set(key, g);
    }
  }
  for (const g of mtuGroups.values()) {
    const overhead = OVERLAY_OVERHEAD[g.backend];
    const set = g.limit !== undefined ? g.limit - overhead : undefined;
    // The throughput the mismatch costs, from the matrices.
    const slow = g.pairs.flatMap((p) => { const [a, b] = p.split('–'); return [[a, b], [b, a]]; })
      .map(([a, b]) => ({ base: cellOf('node→node', a, b).tcp, pod: cellOf('pod→pod', a, b).tcp }))
      .filter((x) => x.base?.bitsPerSecond && x.pod?.bitsPerSecond !== undefined);
    const cost = slow.length > 0
      ? ` Pod to pod those paths carry ${mbps(Math.min(...slow.map((x) => x.pod!.bitsPerSecond!)))}–${mbps(Math.max(...slow.map((x) => x.pod!.bitsPerSecond!)))} with up to ${Math.max(...slow.map((x) => x.pod!.retransmits ?? 0))} retransmits, node to node ${mbps(Math.min(...slow.map((x) => x.base!.bitsPerSecond!)))} or more.`
      : '';
    findings.push({
      kind: 'mtu',
      message: `MTU mismatch on ${g.pairs.join(', ')}: ${g.evidence.join(', and ')}. Pods send up to ${g.podMtu} bytes and ${g.backend} adds ${overhead}, so bigger packets are dropped${g.small ? ` (${g.small.n}'s ${g.small.iface} has MTU ${g.small.mtu})` : ''}.${cost} `
        + (set !== undefined
          ? `Set the overlay MTU to ${set} (${g.limit} − ${overhead}) on every node: in nodes.inventory give ${g.small?.n ?? 'the node behind the small interface'} \`interface: ${g.small?.iface ?? '<iface>'}\` and \`mtu: ${g.limit}\`, run \`npm run k3s-config\`, restart k3s on each node, then restart the pods so they get the new eth0 MTU.`
          : 'Probe again with the MTU sizes of your interfaces, then set the overlay MTU to the smallest path MTU minus the backend overhead.'),
    });
  }

  // Overlay: pod paths much slower than the node path, with retransmits (unless the MTU explains it).
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b || mtuPairs.has([a, b].sort().join(' '))) continue;
      const base = cellOf('node→node', a, b).tcp;
      if (!base?.bitsPerSecond) continue;
      const slow = (['node→pod', 'pod→node', 'pod→pod'] as PathKind[]).map((k) => ({ k, t: cellOf(k, a, b).tcp }))
        .filter((x) => x.t?.bitsPerSecond !== undefined && x.t.bitsPerSecond < SLOW_RATIO * base.bitsPerSecond! && heavy(x.t));
      if (slow.length === 0) continue;
      findings.push({
        kind: 'overlay',
        message: `overlay problem from ${a} to ${b}: node→node carries ${mbps(base.bitsPerSecond)} but ${slow.map((x) => `${x.k} ${mbps(x.t!.bitsPerSecond)} with ${x.t!.retransmits} retransmits`).join(', ')}. The node path is fine, so look at the overlay: the interface flannel uses (flannel-iface; set interface and address in nodes.inventory and run npm run k3s-config), its backend, and the MTU of flannel.1/cni0 against the node path.`,
      });
    }
  }

  // Congestion control: a long or lossy node path that retransmits heavily under Cubic.
  let recommendsBbr = false;
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b || mtuPairs.has([a, b].sort().join(' '))) continue;
      const c = cellOf('node→node', a, b);
      const t = c.tcp;
      if (!t?.bitsPerSecond || (t.congestion ?? '').toLowerCase() !== 'cubic' || !heavy(t)) continue;
      const long = (t.rttMs ?? 0) >= LONG_RTT_MS;
      const lossy = (c.udp?.lostPercent ?? 0) >= LOSSY_PERCENT;
      if (!long && !lossy) continue;
      recommendsBbr = true;
      findings.push({
        kind: 'congestion',
        message: `congestion control from ${a} to ${b}: ${mbps(t.bitsPerSecond)} with ${t.retransmits} retransmits (${retransmitPercent(t).toFixed(1)}% of segments) under cubic on a ${[long ? `long link (RTT ${t.rttMs!.toFixed(0)} ms)` : '', lossy ? `lossy link (${c.udp!.lostPercent!.toFixed(1)}% UDP loss)` : ''].filter(Boolean).join(', ')}. Cubic halves its window at every loss; BBR paces by measured bandwidth and RTT. Enable nodeTuning.bbr (the node-tuning DaemonSet), then restart the workloads listed below: pods created before keep cubic.`,
      });
    }
  }

  if (results.bad.length > 0) {
    findings.push({ kind: 'malformed', message: `${results.bad.length} line${results.bad.length === 1 ? '' : 's'} could not be read and ${results.bad.length === 1 ? 'was' : 'were'} skipped: ${results.bad.slice(0, 3).map((b) => `line ${b.line}: ${b.reason}`).join('; ')}${results.bad.length > 3 ? '; …' : ''}` });
  }
  const healthy = findings.every((f) => f.kind === 'malformed') && results.tcp.length > 0;
  if (healthy) {
    findings.unshift({ kind: 'healthy', message: `every pod path carries at least ${Math.round(SLOW_RATIO * 100)}% of its node path, no don't-fragment probe the pod MTU allows was dropped, and no node path retransmits heavily.` });
  }
  return { nodes, matrices, findings, healthy: findings.every((f) => f.kind === 'healthy' || f.kind === 'malformed') && healthy, recommendsBbr };
}
