/**
 * Reads the client Jobs' logs. Pure. Field names follow iperf3's own JSON writer
 * (esnet/iperf src/iperf_api.c, iperf_print_results and iperf_json_finish): a TCP client run
 * ends with `end.sum_sent {bits_per_second, retransmits}`, `end.sum_received`,
 * `end.streams[i].sender.mean_rtt` (µs) and `end.sender_tcp_congestion`; a UDP client run with
 * `end.sum {bits_per_second, jitter_ms, lost_packets, packets, lost_percent}`; a failed run with
 * a top-level `error` string and an empty `end`.
 */
import { z } from 'zod';
import { BadLine, IfaceReport, LINE_VERSION, MtuProbe, Results, TcpResult, UdpResult } from './types';

const net = z.enum(['host', 'pod']);
const name = z.string().min(1);
const endpoints = { from: name, fromNet: net, to: name, toNet: net };
const Line = z.discriminatedUnion('type', [
  z.object({ netcheck: z.literal(LINE_VERSION), type: z.literal('tcp'), ...endpoints, iperf: z.record(z.string(), z.unknown()).nullable() }),
  z.object({ netcheck: z.literal(LINE_VERSION), type: z.literal('udp'), ...endpoints, iperf: z.record(z.string(), z.unknown()).nullable() }),
  z.object({
    netcheck: z.literal(LINE_VERSION), type: z.literal('mtu'), ...endpoints,
    size: z.number().int().min(68).max(65535), ok: z.boolean(), reportedMtu: z.number().int().positive().optional(),
  }),
  z.object({
    netcheck: z.literal(LINE_VERSION), type: z.literal('iface'), node: name, net,
    defaultIface: z.string().optional(), mtus: z.record(z.string(), z.number().int().positive()),
  }),
  z.object({ netcheck: z.literal(LINE_VERSION), type: z.literal('done'), from: name, fromNet: net }),
]);

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);

/** The numbers of one `iperf3 -J` TCP client run. */
export function readTcp(doc: Record<string, unknown> | null): Omit<TcpResult, 'from' | 'fromNet' | 'to' | 'toNet'> {
  if (!doc) return { error: 'iperf3 printed nothing (killed, or not installed)' };
  if (typeof doc.error === 'string') return { error: doc.error };
  const end = obj(doc.end) ?? {};
  const sent = obj(end.sum_sent);
  if (!sent) return { error: 'no end.sum_sent in the iperf3 output' };
  const stream = obj(obj(Array.isArray(end.streams) ? end.streams[0] : undefined)?.sender);
  const rtt = num(stream?.mean_rtt);
  return {
    bitsPerSecond: num(sent.bits_per_second),
    receivedBitsPerSecond: num(obj(end.sum_received)?.bits_per_second),
    retransmits: num(sent.retransmits),
    congestion: typeof end.sender_tcp_congestion === 'string' ? end.sender_tcp_congestion : undefined,
    rttMs: rtt === undefined ? undefined : rtt / 1000,
    seconds: num(sent.seconds),
  };
}

/** The numbers of one `iperf3 -J -u` client run. */
export function readUdp(doc: Record<string, unknown> | null): Omit<UdpResult, 'from' | 'fromNet' | 'to' | 'toNet'> {
  if (!doc) return { error: 'iperf3 printed nothing (killed, or not installed)' };
  if (typeof doc.error === 'string') return { error: doc.error };
  const end = obj(doc.end) ?? {};
  // iperf3 ≥ 3.11 also writes sum_received; `sum` is in every version and holds the loss the server saw.
  const sum = obj(end.sum) ?? obj(end.sum_received);
  if (!sum) return { error: 'no end.sum in the iperf3 output' };
  return { bitsPerSecond: num(sum.bits_per_second), lostPercent: num(sum.lost_percent), jitterMs: num(sum.jitter_ms) };
}

/** Parses collected logs: every line of ours, and each one that could not be read. Never throws. */
export function parseResults(text: string): Results {
  const tcp: TcpResult[] = [];
  const udp: UdpResult[] = [];
  const mtu: MtuProbe[] = [];
  const ifaces: IfaceReport[] = [];
  const done: string[] = [];
  const bad: BadLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.includes('"netcheck"')) return;
    const at = raw.indexOf('{');
    const body = at >= 0 ? raw.slice(at).trim() : raw;
    const fail = (reason: string) => bad.push({ line: i + 1, text: raw.length > 120 ? `${raw.slice(0, 117)}...` : raw, reason });
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (e) {
      fail(`not JSON (${(e as Error).message}); a line cut off when the Job hit its deadline looks like this`);
      return;
    }
    const r = Line.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      fail(`not a netcheck line: ${issue.path.join('.') || 'type'}: ${issue.message}`);
      return;
    }
    const l = r.data;
    switch (l.type) {
      case 'tcp': tcp.push({ from: l.from, fromNet: l.fromNet, to: l.to, toNet: l.toNet, ...readTcp(l.iperf) }); break;
      case 'udp': udp.push({ from: l.from, fromNet: l.fromNet, to: l.to, toNet: l.toNet, ...readUdp(l.iperf) }); break;
      case 'mtu': mtu.push({ from: l.from, fromNet: l.fromNet, to: l.to, toNet: l.toNet, size: l.size, ok: l.ok, reportedMtu: l.reportedMtu }); break;
      case 'iface': ifaces.push({ node: l.node, net: l.net, defaultIface: l.defaultIface, mtus: l.mtus }); break;
      case 'done': done.push(`${l.from}/${l.fromNet}`); break;
    }
  });
  return { tcp, udp, mtu, ifaces, done, bad };
}

/**
 * Why `text` gives the report nothing to read, or undefined when it holds at least one netcheck
 * line (readable or not: an unreadable one is reported as such). One sentence, to follow the
 * file's name; raw `iperf3 -J` output (one JSON document with `start` and `end`) is named as such.
 */
export function whyNoNetcheckLines(text: string, results: Results): string | undefined {
  const count = results.tcp.length + results.udp.length + results.mtu.length + results.ifaces.length + results.done.length + results.bad.length;
  if (count > 0) return undefined;
  if (text.trim() === '') return 'is empty: collect the client Jobs\' logs into it (run.sh does), then run the report again';
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const what = doc && typeof doc === 'object' && 'start' in doc && 'end' in doc ? 'is raw iperf3 -J output, which' : '';
  return `${what ? `${what} holds` : 'holds'} no netcheck lines (JSON lines with "netcheck": ${LINE_VERSION}): give it the log run.sh collects (kubectl logs of the client Jobs, e.g. netcheck/results.jsonl)`;
}
