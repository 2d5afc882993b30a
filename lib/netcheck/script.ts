/**
 * The client measurement script each netcheck client Job runs (POSIX sh with iperf3, iputils
 * ping, iproute2 and jq, as in the netcheck image), and the numbers it runs with. Pure: the
 * script is a string; the integration suite runs the same string against a local iperf3.
 */
import { FlannelBackend, OVERLAY_OVERHEAD } from '../rules/k3s';

/** The iperf3 server port (iperf3's default), in both networks. */
export const IPERF_PORT = 5201;
/** Seconds of each TCP run. */
export const TCP_SECONDS = 10;
/** Seconds of each UDP run. */
export const UDP_SECONDS = 5;
/**
 * The fixed UDP rate. Low on purpose: loss at 10 Mb/s on a path that carries far more is loss
 * on the path, not a full pipe (a Pi's home uplink may carry only 20–40 Mb/s).
 */
export const UDP_RATE = '10M';
/** Connection attempts per run (a server that just started, or a moment of loss). */
export const RETRIES = 3;

/**
 * Don't-fragment probe sizes on the wire: they straddle 1500 (Ethernet), 1420 (a WireGuard
 * tunnel such as WARP on a 1500 link), 1280 (WARP's own interface, the IPv6 minimum) and the
 * overlay MTU on a 1500 and on a 1280 link for the backend.
 */
export function probeSizes(backend: FlannelBackend = 'vxlan'): number[] {
  const o = OVERLAY_OVERHEAD[backend];
  return [...new Set([1280 - o, 1280, 1420, 1500 - o, 1500])].sort((a, b) => a - b);
}

/** Seconds one target (TCP, UDP and the probes, with retries) may take at most. */
export function secondsPerTarget(backend: FlannelBackend = 'vxlan'): number {
  return RETRIES * (TCP_SECONDS + 20) + RETRIES * (UDP_SECONDS + 20) + probeSizes(backend).length * 8;
}

/**
 * The client script. Environment: NETCHECK_FROM (this node), NETCHECK_NET (host or pod),
 * NETCHECK_TARGETS (one `node net address port` per line), NETCHECK_SIZES, NETCHECK_TCP_SECONDS,
 * NETCHECK_UDP_SECONDS, NETCHECK_UDP_RATE, NETCHECK_RETRIES. It prints the JSON lines described
 * in ./types.ts on stdout, one measurement at a time, and everything else on stderr.
 */
export const CLIENT_SCRIPT = String.raw`set -u
from="$NETCHECK_FROM"; fnet="$NETCHECK_NET"
line() { jq -cn --arg from "$from" --arg fromNet "$fnet" "$@"; }
# This side's interfaces: the default-route one, flannel.1 or flannel-wg, cni0 (host) or eth0 (pod).
mtus='{}'
for d in /sys/class/net/*; do
  i=$(basename "$d")
  case "$i" in lo|veth*) continue ;; esac
  m=$(cat "$d/mtu" 2>/dev/null) || continue
  mtus=$(printf '%s' "$mtus" | jq -c --arg i "$i" --argjson m "$m" '.[$i] = $m')
done
def=$(ip route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
jq -cn --arg node "$from" --arg net "$fnet" --arg dflt "$def" --argjson mtus "$mtus" \
  '{netcheck: 1, type: "iface", node: $node, net: $net, mtus: $mtus} + (if $dflt == "" then {} else {defaultIface: $dflt} end)'
# ping -M do is the probe. Where it cannot run (a ping with file capabilities under drop: [ALL]
# and no_new_privs fails to exec; ICMP sockets need net.ipv4.ping_group_range), the probe is a
# one-second iperf3 UDP run of the same size with --dont-fragment: too big for the local
# interface it fails with "Message too long", too big for the path it is lost.
if ping -c 1 -W 2 127.0.0.1 >/dev/null 2>&1; then method=ping; else method=iperf3; echo "netcheck: ping cannot run here; probing with iperf3 --dont-fragment" >&2; fi
run_iperf() { # kind address port args...
  kind=$1; addr=$2; port=$3; shift 3
  n=0
  while :; do
    out=$(timeout $(( $NETCHECK_TCP_SECONDS + 20 )) iperf3 -J -c "$addr" -p "$port" "$@" 2>/dev/null)
    n=$((n + 1))
    case "$out" in
      *'"error"'*) [ "$n" -lt "$NETCHECK_RETRIES" ] || break; sleep 5 ;;
      *) break ;;
    esac
  done
  if [ -n "$out" ] && printf '%s' "$out" | jq -e 'type == "object"' >/dev/null 2>&1; then
    line --arg type "$kind" --arg to "$to" --arg toNet "$tnet" --argjson iperf "$out" '{netcheck: 1, type: $type, from: $from, fromNet: $fromNet, to: $to, toNet: $toNet, iperf: $iperf}'
  else
    line --arg type "$kind" --arg to "$to" --arg toNet "$tnet" '{netcheck: 1, type: $type, from: $from, fromNet: $fromNet, to: $to, toNet: $toNet, iperf: null}'
  fi
}
printf '%s\n' "$NETCHECK_TARGETS" | while read -r to tnet addr port; do
  [ -n "$to" ] || continue
  run_iperf tcp "$addr" "$port" -t "$NETCHECK_TCP_SECONDS"
  run_iperf udp "$addr" "$port" -u -b "$NETCHECK_UDP_RATE" -t "$NETCHECK_UDP_SECONDS"
  for size in $NETCHECK_SIZES; do
    mtu=""
    if [ "$method" = ping ]; then
      msg=$(ping -M do -s $((size - 28)) -c 2 -W 2 "$addr" 2>&1)
      if [ $? -eq 0 ]; then ok=true; else ok=false; fi
      mtu=$(printf '%s\n' "$msg" | sed -n 's/.*mtu[ =]*\([0-9][0-9]*\).*/\1/p' | head -n 1)
    else
      out=$(timeout 20 iperf3 -J -c "$addr" -p "$port" -u -b 1M -t 1 -l $((size - 28)) --dont-fragment 2>/dev/null)
      ok=$(printf '%s' "$out" | jq -r 'if (.error == null) and ((.end.sum.packets // 0) > 0) and ((.end.sum.lost_percent // 100) < 50) then "true" else "false" end' 2>/dev/null)
      [ "$ok" = true ] || ok=false
    fi
    line --arg to "$to" --arg toNet "$tnet" --argjson size "$size" --argjson ok "$ok" --arg mtu "$mtu" --arg method "$method" \
      '{netcheck: 1, type: "mtu", from: $from, fromNet: $fromNet, to: $to, toNet: $toNet, size: $size, ok: $ok, method: $method} + (if $mtu == "" then {} else {reportedMtu: ($mtu | tonumber)} end)'
  done
done
line '{netcheck: 1, type: "done", from: $from, fromNet: $fromNet}'
`;

/** The environment of a client run. */
export interface ClientEnv {
  readonly from: string;
  readonly net: 'host' | 'pod';
  readonly targets: readonly { to: string; net: 'host' | 'pod'; address: string; port?: number }[];
  readonly sizes?: readonly number[];
  readonly tcpSeconds?: number;
  readonly udpSeconds?: number;
}

/** The environment variables CLIENT_SCRIPT reads. */
export function clientEnv(e: ClientEnv): Record<string, string> {
  return {
    NETCHECK_FROM: e.from,
    NETCHECK_NET: e.net,
    NETCHECK_TARGETS: e.targets.map((t) => `${t.to} ${t.net} ${t.address} ${t.port ?? IPERF_PORT}`).join('\n'),
    NETCHECK_SIZES: (e.sizes ?? probeSizes()).join(' '),
    NETCHECK_TCP_SECONDS: String(e.tcpSeconds ?? TCP_SECONDS),
    NETCHECK_UDP_SECONDS: String(e.udpSeconds ?? UDP_SECONDS),
    NETCHECK_UDP_RATE: UDP_RATE,
    NETCHECK_RETRIES: String(RETRIES),
  };
}
