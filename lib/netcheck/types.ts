/**
 * The network doctor's data: the JSON lines the client Jobs print, and what the parser makes of
 * them. Pure: no cdk8s imports.
 *
 * One line per fact, each a JSON object with `"netcheck": 1` (lines without it are ignored, so
 * kubectl's own output and `--prefix` markers do not matter):
 *
 * - `{"netcheck":1,"type":"iface","node":N,"net":"host"|"pod","defaultIface":I,"mtus":{I:1500,...}}`
 *   the sender's own interfaces (host network: the default-route interface, flannel.1 or
 *   flannel-wg, cni0; pod network: eth0);
 * - `{"netcheck":1,"type":"tcp"|"udp","from":N,"fromNet":..,"to":M,"toNet":..,"iperf":{...}}`
 *   with `iperf` the unmodified `iperf3 -J` document (or null when iperf3 printed nothing);
 * - `{"netcheck":1,"type":"mtu","from":..,"fromNet":..,"to":..,"toNet":..,"size":1420,"ok":true,"method":"ping","reportedMtu":1280?}`
 *   one don't-fragment probe of `size` bytes on the wire (payload + 28): `ping -M do`, or where
 *   ping cannot run an iperf3 UDP run with `--dont-fragment` (method "iperf3");
 * - `{"netcheck":1,"type":"done","from":N,"fromNet":..}` the client Job finished its list.
 */

/** The two networks a measurement starts or ends in. */
export type Net = 'host' | 'pod';
export const NETS: readonly Net[] = ['host', 'pod'];

/** The four path kinds, in the order the report prints them. */
export type PathKind = 'node→node' | 'node→pod' | 'pod→node' | 'pod→pod';
export const PATH_KINDS: readonly PathKind[] = ['node→node', 'node→pod', 'pod→node', 'pod→pod'];

/** The path kind of a measurement from one network to another. */
export function pathKind(fromNet: Net, toNet: Net): PathKind {
  return `${fromNet === 'host' ? 'node' : 'pod'}→${toNet === 'host' ? 'node' : 'pod'}` as PathKind;
}

/** The version of the line format. */
export const LINE_VERSION = 1;

/** Where a measurement went. */
export interface Endpoints {
  readonly from: string;
  readonly fromNet: Net;
  readonly to: string;
  readonly toNet: Net;
}

/** One TCP run, from `iperf3 -J`. */
export interface TcpResult extends Endpoints {
  /** Sender throughput (end.sum_sent.bits_per_second), or undefined when the run failed. */
  readonly bitsPerSecond?: number;
  /** Receiver throughput (end.sum_received.bits_per_second). */
  readonly receivedBitsPerSecond?: number;
  /** end.sum_sent.retransmits (Linux senders report it). */
  readonly retransmits?: number;
  /** end.sender_tcp_congestion, e.g. cubic or bbr. */
  readonly congestion?: string;
  /** Mean smoothed RTT of the first stream, in milliseconds (end.streams[0].sender.mean_rtt is µs). */
  readonly rttMs?: number;
  /** The test length in seconds. */
  readonly seconds?: number;
  /** iperf3's error text when the run failed (e.g. unable to connect). */
  readonly error?: string;
}

/** One UDP run at a fixed rate. */
export interface UdpResult extends Endpoints {
  readonly bitsPerSecond?: number;
  /** end.sum.lost_percent: datagrams the receiver never saw. */
  readonly lostPercent?: number;
  readonly jitterMs?: number;
  readonly error?: string;
}

/** One don't-fragment probe. */
export interface MtuProbe extends Endpoints {
  /** Packet size on the wire (IPv4 header + ICMP header + payload). */
  readonly size: number;
  readonly ok: boolean;
  /** The MTU a router or the local stack reported back, when ping printed one. */
  readonly reportedMtu?: number;
}

/** A node's interfaces, as seen from one network. */
export interface IfaceReport {
  readonly node: string;
  readonly net: Net;
  readonly defaultIface?: string;
  readonly mtus: Readonly<Record<string, number>>;
}

/** A line that claimed to be ours but could not be read. */
export interface BadLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

/** Everything read from the collected logs. */
export interface Results {
  readonly tcp: readonly TcpResult[];
  readonly udp: readonly UdpResult[];
  readonly mtu: readonly MtuProbe[];
  readonly ifaces: readonly IfaceReport[];
  /** Client Jobs that said they finished: `node/net`. */
  readonly done: readonly string[];
  readonly bad: readonly BadLine[];
}
