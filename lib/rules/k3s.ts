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
  /** What the OS, the kubelet and the k3s agent keep on this node. @default K3sSettings.reserve */
  readonly reserve?: Reservation;
}

/** A reservation as Kubernetes quantities, e.g. `{ cpu: '250m', memory: '768Mi' }`. */
export interface Reservation { readonly cpu: string; readonly memory: string }

/** The cluster-wide k3s settings. */
export interface K3sSettings {
  readonly version?: string;
  /** @default SQLite for one server, embedded etcd for more (see controlPlane) */
  readonly datastore?: K3sDatastore;
  readonly flannelBackend: FlannelBackend;
  readonly clusterCidr: string;
  /**
   * The cluster exists: every server joins another one with `server:` and none writes
   * `cluster-init`, so a rebuilt first server rejoins instead of starting a second cluster.
   * @default false
   */
  readonly bootstrapped?: boolean;
  /** nodes.reserve: what every node keeps besides pods (kubelet `system-reserved`). @default none written */
  readonly reserve?: Reservation;
}

/** Where a k3s cluster keeps its state: SQLite (kine) on a single server, or embedded etcd. */
export type K3sDatastore = 'sqlite' | 'etcd';
export const K3S_DATASTORES = ['sqlite', 'etcd'] as const satisfies readonly K3sDatastore[];

/**
 * What a k3s server needs beyond an agent, per datastore: k3s-io/docs
 * docs/reference/resource-profiling.md (commit 8cfdb30, K3s v1.26.5), "K3s server with a workload" minus "K3s agent", the larger
 * of its two processors (Intel 8375C: 1606 − 275 M etcd, 1596 − 275 M SQLite, 6 − 3 % of a core;
 * Pi4B: 1613 − 268 M etcd, 1588 − 268 M SQLite, 30 − 10 % of a core), M read as MiB (the larger
 * reading). nodes.reserve covers the OS, the kubelet and the k3s agent; a server adds this.
 */
export const CONTROL_PLANE_RESERVE: Readonly<Record<K3sDatastore, { readonly cpu: number; readonly memory: number }>> = {
  etcd: { cpu: 200, memory: 1345 * 2 ** 20 },
  sqlite: { cpu: 200, memory: 1321 * 2 ** 20 },
};

/** The control plane the inventory describes: its servers, datastore and what a loss does. */
export interface ControlPlane {
  /** The nodes with role: server, in inventory order (the first initializes the cluster). */
  readonly servers: readonly string[];
  /** Undefined when no node has role: server (the plan cannot tell). */
  readonly datastore?: K3sDatastore;
  /** Servers that must be up for the API to answer: etcd floor(n/2)+1, SQLite 1. */
  readonly quorum: number;
  /** Servers that may be lost with the API still answering. */
  readonly tolerates: number;
  /** Nodes whose loss alone stops the control plane (every server when it tolerates none). */
  readonly singlePoints: readonly string[];
  /** One line for the plan and k3s-config. */
  readonly summary: string;
  readonly problems: readonly K3sProblem[];
}

/**
 * The control plane of an inventory. k3s: one server without cluster-init keeps its state in
 * SQLite (kine) and cannot be joined by more servers; with cluster-init (written by k3s-config
 * whenever the datastore is etcd) the servers form an embedded etcd cluster, which answers while
 * a majority, floor(n/2)+1, is up (k3s-io/docs docs/datastore/ha-embedded.md: an odd number of
 * servers; etcd's FAQ: a cluster of n tolerates (n−1)/2 failures). `datastore` defaults to SQLite
 * for one server and etcd for more.
 */
export function controlPlane(nodes: readonly K3sNode[], datastore?: K3sDatastore): ControlPlane {
  const servers = nodes.filter((n) => n.role === 'server').map((n) => n.name);
  const problems: K3sProblem[] = [];
  if (servers.length === 0) {
    return { servers, quorum: 0, tolerates: 0, singlePoints: [], problems, summary: 'unknown: no node has role: server, so the plan cannot tell which node carries the Kubernetes API; set role: server on the k3s servers and role: agent on the others' };
  }
  const store: K3sDatastore = datastore ?? (servers.length === 1 ? 'sqlite' : 'etcd');
  if (store === 'sqlite' && servers.length > 1) {
    problems.push({ path: 'k3s.datastore', message: `is sqlite, which serves one k3s server only, and ${servers.length} nodes have role: server (${servers.join(', ')}); set k3s.datastore: etcd (or leave it out) so they form an embedded etcd cluster, or make one of them a server` });
  }
  const quorum = store === 'etcd' ? Math.floor(servers.length / 2) + 1 : 1;
  const tolerates = Math.max(0, servers.length - quorum);
  const singlePoints = tolerates === 0 ? servers : [];
  const who = `${servers.length} k3s server${servers.length === 1 ? '' : 's'} (${servers.join(', ')})`;
  let summary: string;
  if (store === 'sqlite') summary = `${who} on SQLite: losing ${servers[0]} stops the Kubernetes API`;
  else if (tolerates === 0) summary = `${who} with embedded etcd, quorum ${quorum} of ${servers.length}: losing ${servers.length === 1 ? servers[0] : 'any one of them'} stops the Kubernetes API`;
  else summary = `${who} with embedded etcd, quorum ${quorum} of ${servers.length}: survives the loss of ${tolerates === 1 ? 'any one server' : `any ${tolerates} servers`}`;
  if (store === 'etcd' && servers.length % 2 === 0) {
    summary += `; an even number adds no tolerance (${servers.length - 1} servers tolerate as many), so use an odd number`;
  }
  return { servers, datastore: store, quorum, tolerates, singlePoints, summary, problems };
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
  const cp = controlPlane(nodes, settings.datastore);
  for (const p of cp.problems) problems.push(`${p.path}: ${p.message}`);
  const first = servers[0];
  if (first && !first.address) problems.push(`nodes.inventory (${first.name}): the first server needs an address: the others join it at https://<address>:6443`);
  const bootstrapped = settings.bootstrapped === true;
  const bootProblem = bootstrappedProblem(servers.length, bootstrapped);
  if (bootProblem) problems.push(`k3s.bootstrapped: ${bootProblem}`);
  const second = servers[1];
  if (bootstrapped && second && !second.address) problems.push(`nodes.inventory (${second.name}): with k3s.bootstrapped the first server rejoins through the second, which needs an address`);
  if (settings.version) {
    const bug = bindAddressBug(settings.version);
    if (bug && servers.some((s) => s.address)) problems.push(`k3s.version: ${bug}`);
  }
  if (problems.length > 0) return { files: [], notes, problems };
  const etcd = cp.datastore === 'etcd';

  const smallest = Math.min(...nodes.map((n) => n.mtu ?? ETHERNET_MTU));
  const explicit = smallest < ETHERNET_MTU;
  const mtu = explicit ? overlayMtu(smallest, settings.flannelBackend) : undefined;
  if (explicit) {
    const who = nodes.filter((n) => (n.mtu ?? ETHERNET_MTU) === smallest).map((n) => `${n.name} (${n.interface ?? 'its interface'})`).join(', ');
    notes.push(`overlay MTU ${mtu} on every node: the smallest interface MTU is ${smallest} on ${who}, and ${settings.flannelBackend} adds ${OVERLAY_OVERHEAD[settings.flannelBackend]} bytes (flannel's backend MTU ${smallest} → ${settings.flannelBackend === 'vxlan' ? 'flannel.1' : 'flannel-wg'} ${mtu}, pods' eth0 ${mtu})`);
  } else {
    notes.push(`every interface is ${ETHERNET_MTU} (or unset): flannel derives the overlay MTU itself (${overlayMtu(ETHERNET_MTU, settings.flannelBackend)} with ${settings.flannelBackend})`);
  }
  notes.push(`control plane: ${cp.summary}`);
  const flannelConf = explicit ? `${JSON.stringify({
    Network: settings.clusterCidr,
    EnableIPv4: true,
    EnableIPv6: false,
    Backend: settings.flannelBackend === 'vxlan'
      ? { Type: 'vxlan', MTU: smallest }
      : { Type: 'wireguard', PersistentKeepaliveInterval: 25, MTU: smallest },
  }, null, 2)}\n` : undefined;

  if (bootstrapped) notes.push(`k3s.bootstrapped: every server joins an existing one (${first.name} through ${second.name}, the others through ${first.name}); no node writes cluster-init`);
  const files = nodes.map((n) => {
    const cfg: Record<string, unknown> = {};
    // Once the cluster exists, the first server joins the second like any other member
    // (k3s-io/k3s discussion #7070): cluster-init on an empty db dir starts a new cluster.
    const rejoin = bootstrapped && n === first;
    if (rejoin) cfg['server'] = `https://${second.address}:6443`;
    else if (n !== first) cfg['server'] = `https://${first.address}:6443`;
    if (n !== first || etcd) cfg['token-file'] = TOKEN_FILE;
    if (n === first && etcd && !rejoin) cfg['cluster-init'] = true;
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
    const kubeletArgs = kubeletReservations(n.reserve ?? settings.reserve, n.role === 'server' && cp.datastore ? CONTROL_PLANE_RESERVE[cp.datastore] : undefined);
    if (kubeletArgs.length > 0) cfg['kubelet-arg'] = kubeletArgs;
    cfg['node-label'] = [`${poolLabel}=${n.pool}`];
    const header = [
      `# ${K3S_CONFIG_PATH} for ${n.name} (${n.role}), written by npm run k3s-config.`,
      `# Control plane: ${cp.summary}.`,
      settings.version ? `# k3s ${settings.version}: install with INSTALL_K3S_VERSION=${settings.version}.` : '# Pin the k3s version with k3s.version in the config.',
      ...(cfg['token-file'] ? [`# Put the cluster token in ${TOKEN_FILE} (mode 0600) before starting k3s; it is never written here.`] : []),
      ...(flannelConf ? [`# Also copy flannel-net-conf.json to ${FLANNEL_CONF_PATH}.`] : []),
      ...(cfg['cluster-init'] && servers.length > 1 ? ['# cluster-init starts a new etcd cluster: it is for this server\'s first start only. Once the other servers have joined, set k3s.bootstrapped: true and rerun k3s-config before you rebuild this node, or it starts a second, separate cluster (docs/control-plane.md, "Replacing a server").'] : []),
    ];
    return { node: n.name, configYaml: `${header.join('\n')}\n${stringify(cfg)}`, flannelConf };
  });
  return { files, overlayMtu: mtu, notes, problems };
}

/**
 * The kubelet flags that make the node's allocatable what the plan assumes: `system-reserved` =
 * the node's reserve (OS, kubelet, k3s agent), `kube-reserved` = the control plane on a server.
 * kubelet: allocatable = capacity − kube-reserved − system-reserved − hard eviction threshold;
 * k3s's own `eviction-hard` (K3S_EVICTION_HARD) names no memory signal, so memory adds nothing
 * (kubernetes/kubernetes pkg/kubelet/cm/node_container_manager_linux.go GetNodeAllocatableReservation).
 */
export function kubeletReservations(reserve: Reservation | undefined, controlPlaneReserve?: { readonly cpu: number; readonly memory: number }): string[] {
  const out: string[] = [];
  if (reserve) out.push(`system-reserved=cpu=${reserve.cpu},memory=${reserve.memory}`);
  if (controlPlaneReserve) out.push(`kube-reserved=cpu=${controlPlaneReserve.cpu}m,memory=${controlPlaneReserve.memory / 2 ** 20}Mi`);
  return out;
}

/** Why k3s.bootstrapped cannot be set with this many servers, or undefined. */
function bootstrappedProblem(servers: number, bootstrapped: boolean): string | undefined {
  if (!bootstrapped || servers >= 2) return undefined;
  return `is true, but only one node has role: server, so a rebuilt server has nothing to join; leave k3s.bootstrapped out (rebuilding the only server starts a new cluster: restore it from a k3s etcd snapshot or state.db backup instead)`;
}

/**
 * A warning when no node of the inventory has a role: the plan then cannot tell which nodes carry
 * the Kubernetes API and replays every loss as if it stayed up. Undefined when any node has one
 * (npm run k3s-config names each node still missing it).
 */
export function noRolesWarning(inventory: readonly K3sNode[]): string | undefined {
  if (inventory.length === 0 || inventory.some((n) => n.role)) return undefined;
  return `nodes.inventory: no node has a role, so the plan cannot tell which nodes carry the Kubernetes API (it prints "Control plane: unknown" and replays every loss as if the API stayed up) and npm run k3s-config cannot run; set role: server or agent on each node, ideally three servers with embedded etcd (docs/control-plane.md)`;
}

/** A config problem: field path and message with the fix. */
export interface K3sProblem { readonly path: string; readonly message: string }

/**
 * Cross-field checks on the inventory's k3s fields and the k3s version (resolveConfig runs them).
 * Missing roles are not an error here: only npm run k3s-config needs them, and it says so.
 */
export function checkK3sInventory(inventory: readonly K3sNode[], version?: string, datastore?: K3sDatastore, bootstrapped = false): K3sProblem[] {
  const out: K3sProblem[] = [...controlPlane(inventory, datastore).problems];
  const boot = bootstrappedProblem(inventory.filter((n) => n.role === 'server').length, bootstrapped);
  if (boot) out.push({ path: 'k3s.bootstrapped', message: boot });
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
