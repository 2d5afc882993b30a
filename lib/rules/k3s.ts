/**
 * k3s node configuration: `/etc/rancher/k3s/config.yaml` per node from the inventory, the
 * overlay MTU, and the k3s versions that break `bind-address`. Pure: no cdk8s imports.
 *
 * Verified in k3s-io/k3s:
 * - pkg/cli/cmds/agent.go: `node-ip`, `flannel-iface` and `flannel-conf` are agent flags (a
 *   server runs an agent, so both roles take them); pkg/cli/cmds/server.go: `bind-address`,
 *   `advertise-address`, `flannel-backend`, `cluster-init` are server flags; `server` and
 *   `token-file` join a node to the cluster.
 * - pkg/agent/flannel/setup.go: with `flannel-conf` k3s uses that file as flannel's net-conf
 *   (`Using custom flannel conf`) instead of writing `{"Network": <cluster-cidr>, ..., "Backend":
 *   {"Type": "vxlan"}}` itself; the wireguard-native backend is `{"Type": "wireguard",
 *   "PersistentKeepaliveInterval": 25}`.
 * Verified in flannel-io/flannel: the backend's `MTU` defaults to the external interface's MTU
 * (pkg/backend/vxlan/vxlan.go parseVXLANConfig; pkg/backend/wireguard/wireguard.go), and the
 * overlay device gets MTU − 50 for VXLAN (vxlan/device.go, vxlan_network.go encapOverhead) and
 * MTU − 80 for WireGuard (wireguard/device.go, wireguard_network.go overhead); pods get the
 * overlay MTU through subnet.env.
 */
import { stringify } from 'yaml';

/**
 * Encapsulation overhead per flannel backend, from flannel's sources (flannel-io/flannel):
 * pkg/backend/vxlan/vxlan_network.go `encapOverhead = 50` (device.go gives flannel.1 the
 * backend MTU − 50); pkg/backend/wireguard/wireguard_network.go `overhead = 80`.
 */
export const OVERLAY_OVERHEAD = { vxlan: 50, 'wireguard-native': 80 } as const;
/** The flannel backends k3s offers that encapsulate (`flannel-backend`). */
export type FlannelBackend = keyof typeof OVERLAY_OVERHEAD;
export const FLANNEL_BACKENDS = Object.keys(OVERLAY_OVERHEAD) as FlannelBackend[];

/** Ethernet's MTU: an interface at this size needs no explicit overlay MTU. */
export const ETHERNET_MTU = 1500;

/**
 * k3s#10444: with `--bind-address` set, k3s (PR #10019, "Enable serving supervisor metrics")
 * passed the address on to the kubelet's `--address`, while the supervisor's egress tunnel still
 * dialled the kubelet on loopback, so `kubectl logs`/`exec` and metrics failed with 502. Fixed by
 * PR #10480 (merged 2024-07-10; backports #10476 release-1.30, #10477 1.29, #10478 1.28, #10479
 * 1.27, validated 2024-07-18). Verified in k3s-io/docs docs/release-notes: #10019 is first listed
 * in v1.30.2+k3s1 ("Changes since v1.30.1+k3s1") and in v1.29.6+k3s1's June backports (#10249);
 * v1.30.1+k3s1 and v1.29.5+k3s1 do not carry it (k3s#10474: v1.29.5 worked, v1.29.6+k3s2 gave
 * 502). The fix, "Ensure remotedialer kubelet connections use kubelet bind address", is listed in
 * v1.30.3+k3s1 (Jul 31 2024, backports #10497). The 1.27/1.28 bounds are the backport issues'
 * reproductions (v1.28.11+k3s1, v1.27.15+k3s1, the same June cycle) and the July releases.
 * k3s-io/k3s could not be mirrored here (too large), so no git tag was read.
 */
export const BIND_ADDRESS_BUG = [
  { minor: 27, from: [15, 1], fixed: 'v1.27.16+k3s1' },
  { minor: 28, from: [11, 1], fixed: 'v1.28.12+k3s1' },
  { minor: 29, from: [6, 1], fixed: 'v1.29.7+k3s1' },
  { minor: 30, from: [2, 1], fixed: 'v1.30.3+k3s1' },
] as const;

/** A k3s version such as v1.30.6+k3s1. */
export const K3S_VERSION = /^v1\.(\d+)\.(\d+)\+k3s(\d+)$/;

/** Why this k3s version must not run with bind-address, or undefined when it may. */
export function bindAddressBug(version: string): string | undefined {
  const m = K3S_VERSION.exec(version);
  if (!m) return undefined;
  const [minor, patch, rev] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const line = BIND_ADDRESS_BUG.find((b) => b.minor === minor);
  if (!line) return undefined;
  const fixed = K3S_VERSION.exec(line.fixed)!;
  const atLeast = (p: number, r: number, q: number, s: number) => p > q || (p === q && r >= s);
  const broken = atLeast(patch, rev, line.from[0], line.from[1]) && !atLeast(patch, rev, Number(fixed[2]), Number(fixed[3]));
  if (!broken) return undefined;
  return `k3s ${version} carries the bind-address kubelet bug (k3s-io/k3s#10444: with bind-address set, kubectl logs and exec fail with 502 and metrics cannot be scraped); use a fixed release: ${BIND_ADDRESS_BUG.map((b) => b.fixed).join(', ')} or newer in its line, or any v1.31+`;
}

/** The overlay MTU for an interface MTU and a backend (interface MTU − overhead). */
export function overlayMtu(interfaceMtu: number, backend: FlannelBackend): number {
  return interfaceMtu - OVERLAY_OVERHEAD[backend];
}

/** What a node needs for its k3s config. */
export interface K3sNode {
  readonly name: string;
  readonly pool: string;
  readonly role?: 'server' | 'agent';
  readonly interface?: string;
  readonly address?: string;
  readonly mtu?: number;
}

/** The cluster-wide k3s settings. */
export interface K3sSettings {
  readonly version?: string;
  readonly flannelBackend: FlannelBackend;
  readonly clusterCidr: string;
}

/** One node's files. */
export interface K3sNodeFiles {
  readonly node: string;
  /** The text of /etc/rancher/k3s/config.yaml. */
  readonly configYaml: string;
  /** The text of /etc/rancher/k3s/flannel-net-conf.json, when the overlay MTU is explicit. */
  readonly flannelConf?: string;
}

/** Where the files go on the node. */
export const K3S_CONFIG_PATH = '/etc/rancher/k3s/config.yaml';
export const FLANNEL_CONF_PATH = '/etc/rancher/k3s/flannel-net-conf.json';
/** The cluster token is read from this file on each node; it is never written here. */
export const TOKEN_FILE = '/etc/rancher/k3s/cluster-token';

/** The result: files per node, the overlay MTU chosen and why, or problems. */
export interface K3sConfigResult {
  readonly files: readonly K3sNodeFiles[];
  /** The overlay MTU set explicitly on every node, when an interface is below 1500. */
  readonly overlayMtu?: number;
  readonly notes: readonly string[];
  readonly problems: readonly string[];
}

/**
 * The config.yaml of every node. The overlay MTU is one number for the whole cluster: a pod's
 * eth0 MTU applies to every destination, so it must fit the smallest interface any node sends
 * over (WARP's 1280 − 50 = 1230 with VXLAN, − 80 = 1200 with WireGuard).
 */
export function k3sNodeConfigs(nodes: readonly K3sNode[], settings: K3sSettings, poolLabel: string): K3sConfigResult {
  const problems: string[] = [];
  const notes: string[] = [];
  nodes.forEach((n, i) => { if (!n.role) problems.push(`nodes.inventory[${i}] (${n.name}): set role: server or agent`); });
  const servers = nodes.filter((n) => n.role === 'server');
  if (servers.length === 0) problems.push('nodes.inventory: no node has role: server; k3s needs at least one');
  const first = servers[0];
  if (first && !first.address) problems.push(`nodes.inventory (${first.name}): the first server needs an address: the others join it at https://<address>:6443`);
  if (settings.version) {
    const bug = bindAddressBug(settings.version);
    if (bug && servers.some((s) => s.address)) problems.push(`k3s.version: ${bug}`);
  }
  if (problems.length > 0) return { files: [], notes, problems };

  const smallest = Math.min(...nodes.map((n) => n.mtu ?? ETHERNET_MTU));
  const explicit = smallest < ETHERNET_MTU;
  const mtu = explicit ? overlayMtu(smallest, settings.flannelBackend) : undefined;
  if (explicit) {
    const who = nodes.filter((n) => (n.mtu ?? ETHERNET_MTU) === smallest).map((n) => `${n.name} (${n.interface ?? 'its interface'})`).join(', ');
    notes.push(`overlay MTU ${mtu} on every node: the smallest interface MTU is ${smallest} on ${who}, and ${settings.flannelBackend} adds ${OVERLAY_OVERHEAD[settings.flannelBackend]} bytes (flannel's backend MTU ${smallest} → ${settings.flannelBackend === 'vxlan' ? 'flannel.1' : 'flannel-wg'} ${mtu}, pods' eth0 ${mtu})`);
  } else {
    notes.push(`every interface is ${ETHERNET_MTU} (or unset): flannel derives the overlay MTU itself (${overlayMtu(ETHERNET_MTU, settings.flannelBackend)} with ${settings.flannelBackend})`);
  }
  const flannelConf = explicit ? `${JSON.stringify({
    Network: settings.clusterCidr,
    EnableIPv4: true,
    EnableIPv6: false,
    Backend: settings.flannelBackend === 'vxlan'
      ? { Type: 'vxlan', MTU: smallest }
      : { Type: 'wireguard', PersistentKeepaliveInterval: 25, MTU: smallest },
  }, null, 2)}\n` : undefined;

  const files = nodes.map((n) => {
    const cfg: Record<string, unknown> = {};
    if (n.role === 'server' && n !== first) cfg['server'] = `https://${first.address}:6443`;
    if (n.role === 'agent') cfg['server'] = `https://${first.address}:6443`;
    if (n !== first || servers.length > 1) cfg['token-file'] = TOKEN_FILE;
    if (n === first && servers.length > 1) cfg['cluster-init'] = true;
    if (n.address) cfg['node-ip'] = n.address;
    if (n.interface) cfg['flannel-iface'] = n.interface;
    if (n.role === 'server') {
      if (n.address) {
        cfg['bind-address'] = n.address;
        cfg['advertise-address'] = n.address;
      }
      cfg['flannel-backend'] = settings.flannelBackend;
      cfg['cluster-cidr'] = settings.clusterCidr;
    }
    if (flannelConf) cfg['flannel-conf'] = FLANNEL_CONF_PATH;
    cfg['node-label'] = [`${poolLabel}=${n.pool}`];
    const header = [
      `# ${K3S_CONFIG_PATH} for ${n.name} (${n.role}), written by npm run k3s-config.`,
      settings.version ? `# k3s ${settings.version}: install with INSTALL_K3S_VERSION=${settings.version}.` : '# Pin the k3s version with k3s.version in the config.',
      ...(cfg['token-file'] ? [`# Put the cluster token in ${TOKEN_FILE} (mode 0600) before starting k3s; it is never written here.`] : []),
      ...(flannelConf ? [`# Also copy flannel-net-conf.json to ${FLANNEL_CONF_PATH}.`] : []),
    ];
    return { node: n.name, configYaml: `${header.join('\n')}\n${stringify(cfg)}`, flannelConf };
  });
  return { files, overlayMtu: mtu, notes, problems };
}

/** A config problem: field path and message with the fix. */
export interface K3sProblem { readonly path: string; readonly message: string }

/**
 * Cross-field checks on the inventory's k3s fields and the k3s version (resolveConfig runs them).
 * Missing roles are not an error here: only npm run k3s-config needs them, and it says so.
 */
export function checkK3sInventory(inventory: readonly K3sNode[], version?: string): K3sProblem[] {
  const out: K3sProblem[] = [];
  const seen = new Map<string, number>();
  inventory.forEach((n, i) => {
    const at = `nodes.inventory[${i}]`;
    if (n.mtu !== undefined && n.interface === undefined) {
      out.push({ path: `${at}.mtu`, message: `is the MTU of the node's private-network interface, and interface is not set; set interface too (e.g. interface: CloudflareWARP with mtu: 1280)` });
    }
    if (n.address) {
      if (seen.has(n.address)) out.push({ path: `${at}.address`, message: `${n.address} is already the address of nodes.inventory[${seen.get(n.address)}]; give each node its own address` });
      seen.set(n.address, i);
    }
  });
  if (version) {
    const bug = bindAddressBug(version);
    const bound = inventory.filter((n) => n.role === 'server' && n.address).map((n) => n.name);
    if (bug && bound.length > 0) {
      out.push({ path: 'k3s.version', message: `${bug}. bind-address is set because the server${bound.length === 1 ? '' : 's'} ${bound.join(', ')} ${bound.length === 1 ? 'has' : 'have'} an address; upgrade (change k3s.version) before binding` });
    }
  }
  return out;
}

/**
 * The kubelet hard-eviction thresholds k3s sets on every node (k3s-io/k3s
 * pkg/daemons/agent/agent_linux.go `kubeletArgs`: `eviction-hard:
 * imagefs.available<5%,nodefs.available<5%` and `eviction-minimum-reclaim` 10% of each; later
 * releases write the same values into the kubelet's configuration file), in place of upstream's
 * `nodefs.available<10%`, `imagefs.available<15%`. A node's own `kubelet-arg` may change them.
 */
export const K3S_EVICTION_HARD = { nodefsAvailable: 0.05, imagefsAvailable: 0.05, minimumReclaim: 0.1 } as const;
