/**
 * The placement primitives of the planner: pods and nodes from objects and the inventory, and
 * placement the way the kube-scheduler would for the constraints this chart uses (required node
 * affinity, required pod anti-affinity, topology spread, resources, priority and preemption),
 * the loss of one node, and room for a surge pod or a Job. Pure: no cdk8s imports.
 */
import { parseCpu, parseMemory, humanMemory } from './quantity';
import { byCodeUnits } from './order';

/** A node, with what the scheduler may hand out. */
export interface PlanNode {
  readonly name: string;
  readonly pool: string;
  readonly arch: string;
  /** The k3s role, when the inventory says. */
  readonly role?: 'server' | 'agent';
  /** Node labels (arch, hostname and the pool label at least). */
  readonly labels: Readonly<Record<string, string>>;
  /** Capacity minus the system reserve, in millicores and bytes. */
  readonly allocatable: { readonly cpu: number; readonly memory: number };
  readonly capacity: { readonly cpu: number; readonly memory: number };
}

/** One requirement of a label selector or node selector term (key, operator, values). */
export interface SelectorExpression { key: string; operator: string; values?: string[] }
/** A label selector or node selector term: every expression and label must match. */
export interface LabelSelectorTerm { matchExpressions?: SelectorExpression[]; matchLabels?: Record<string, string> }

/** One pod the workloads ask for. */
export interface PodDemand {
  /** `Deployment/ocw-web#1`. */
  readonly id: string;
  /** `Deployment/ocw-web`. */
  readonly owner: string;
  /** The `app.kubernetes.io/component` label, or what the operator pod is. */
  readonly component: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Effective requests, counting init containers as Kubernetes does. */
  readonly cpu: number;
  readonly memory: number;
  readonly priority: number;
  readonly preempts: boolean;
  readonly requiredTerms: readonly LabelSelectorTerm[];
  readonly preferred: readonly { weight: number; term: LabelSelectorTerm }[];
  readonly antiAffinity: readonly { selector: LabelSelectorTerm; topologyKey: string; required: boolean }[];
  readonly spread: readonly { maxSkew: number; topologyKey: string; hard: boolean; selector: LabelSelectorTerm }[];
  /** Seconds the pod stays bound to an unreachable node (Kubernetes' default 300). */
  readonly tolerationSeconds: number;
  /** False for pods tied to their node's volume (Postgres instances): they wait for the node. */
  readonly movable: boolean;
  /** Set on DaemonSet pods: one on every eligible node. */
  readonly daemon: boolean;
}

/** A pod that found no node, and why. */
export interface Pending {
  readonly pod: PodDemand;
  readonly reason: string;
}

/** Pods per node, and the ones left over. */
export interface PlanPlacement {
  readonly byNode: ReadonlyMap<string, readonly PodDemand[]>;
  readonly pending: readonly Pending[];
}

/** One node lost. */
export interface LossScenario {
  readonly lost: string;
  readonly placement: PlanPlacement;
  /** Pods moved off the lost node (and any they displaced). */
  readonly moved: readonly { pod: PodDemand; to: string }[];
  /** Pods that wait for the node to return (bound to its volumes). */
  readonly waiting: readonly PodDemand[];
  /** Critical component → kept at least one ready replica the whole time. */
  readonly critical: Readonly<Record<string, boolean>>;
  /** Owner → seconds before its pods from the lost node are rescheduled. */
  readonly failoverSeconds: Readonly<Record<string, number>>;
  /** False when the lost node took the Kubernetes API with it: nothing is rescheduled. */
  readonly controlPlaneUp: boolean;
  /** Movable pods of the lost node that nothing reschedules (the control plane is down). */
  readonly stranded: readonly PodDemand[];
}

/** A Deployment whose rolling update has (or lacks) room for its surge pod. */
export interface RolloutRoom {
  readonly owner: string;
  readonly ok: boolean;
  readonly reason?: string;
}

/** Components that must keep a ready replica through any single node loss. */
export const CRITICAL_COMPONENTS = ['web', 'streaming', 'tunnel', 'database'] as const;
/** Seconds before a silent node is marked NotReady (node-monitor-grace-period). */
export const NODE_MONITOR_GRACE_SECONDS = 40;
/** Kubernetes' default tolerationSeconds for unreachable and not-ready nodes. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** What `nodesFromInventory` needs. */
export interface InventoryNode {
  readonly name: string;
  readonly pool: string;
  readonly arch: string;
  readonly cpu: string;
  readonly memory: string;
  readonly reserve?: { readonly cpu: string; readonly memory: string };
  readonly role?: 'server' | 'agent';
}

/**
 * Nodes from the config inventory: allocatable = capacity − reserve, and on a k3s server also
 * − `serverReserve` (what the control plane takes beyond an agent: CONTROL_PLANE_RESERVE in k3s.ts).
 */
export function nodesFromInventory(inventory: readonly InventoryNode[], poolLabel: string, reserve: { cpu: string; memory: string }, serverReserve?: { readonly cpu: number; readonly memory: number }): PlanNode[] {
  return inventory.map((n) => {
    const r = n.reserve ?? reserve;
    const extra = n.role === 'server' && serverReserve ? serverReserve : { cpu: 0, memory: 0 };
    const capacity = { cpu: parseCpu(n.cpu), memory: parseMemory(n.memory) };
    return {
      name: n.name, pool: n.pool, arch: n.arch,
      ...(n.role ? { role: n.role } : {}),
      labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/arch': n.arch, 'kubernetes.io/os': 'linux', [poolLabel]: n.pool },
      capacity,
      allocatable: {
        cpu: Math.max(0, capacity.cpu - parseCpu(r.cpu) - extra.cpu),
        memory: Math.max(0, capacity.memory - parseMemory(r.memory) - extra.memory),
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Pods from objects

const qty = (v: unknown, parse: (s: string) => number) => (typeof v === 'string' || typeof v === 'number' ? parse(String(v)) : 0);

/** Requests of a pod spec: sum of containers (and restartable init containers), or the largest init container if more. */
export function effectiveRequests(spec: any): { cpu: number; memory: number } {
  const req = (c: any) => ({ cpu: qty(c?.resources?.requests?.cpu, parseCpu), memory: qty(c?.resources?.requests?.memory, parseMemory) });
  const sidecars = (spec.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always');
  const plain = (spec.initContainers ?? []).filter((c: any) => c.restartPolicy !== 'Always');
  const sum = [...(spec.containers ?? []), ...sidecars].map(req).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
  const init = plain.map(req).reduce((a: any, b: any) => ({ cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory) }), { cpu: 0, memory: 0 });
  return { cpu: Math.max(sum.cpu, init.cpu), memory: Math.max(sum.memory, init.memory) };
}

function tolerationOf(spec: any): number {
  const t = (spec.tolerations ?? []).find((x: any) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute');
  return t?.tolerationSeconds ?? DEFAULT_TOLERATION_SECONDS;
}

/**
 * Expands the synthesized objects into the pods they run, with their constraints. With `jobs`,
 * only the pods of Jobs and CronJobs (one run each), which come and go beside the others.
 */
export function podsFromObjects(objects: readonly any[], options: { jobs?: boolean } = {}): PodDemand[] {
  const classes = new Map<string, { value: number; preempts: boolean }>();
  for (const o of objects) {
    if (o.kind === 'PriorityClass') classes.set(o.metadata.name, { value: o.value, preempts: o.preemptionPolicy !== 'Never' });
  }
  const prio = (name?: string) => (name && classes.get(name)) || { value: 0, preempts: true };
  // A Deployment a KEDA ScaledObject owns has no spec.replicas: it runs minReplicaCount at rest.
  const scaledMin = new Map<string, number>();
  for (const o of objects) {
    if (o.kind === 'ScaledObject' && (o.spec?.scaleTargetRef?.kind ?? 'Deployment') === 'Deployment') {
      scaledMin.set(o.spec.scaleTargetRef.name, o.spec.minReplicaCount ?? 1);
    }
  }
  const pods: PodDemand[] = [];
  const fromSpec = (owner: string, n: number, labels: Record<string, string>, spec: any, extra: Partial<PodDemand> = {}) => {
    const { cpu, memory } = effectiveRequests(spec);
    const na = spec.affinity?.nodeAffinity;
    const p = prio(spec.priorityClassName);
    for (let i = 0; i < n; i++) {
      pods.push({
        id: `${owner}#${i}`,
        owner,
        component: labels['app.kubernetes.io/component'] ?? 'other',
        labels,
        cpu, memory,
        priority: p.value, preempts: p.preempts,
        requiredTerms: na?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? (spec.nodeSelector ? [{ matchLabels: spec.nodeSelector }] : []),
        preferred: (na?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((x: any) => ({ weight: x.weight, term: x.preference })),
        antiAffinity: [
          ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((x: any) => ({ selector: x.labelSelector ?? {}, topologyKey: x.topologyKey, required: true })),
          ...(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((x: any) => ({ selector: x.podAffinityTerm.labelSelector ?? {}, topologyKey: x.podAffinityTerm.topologyKey, required: false })),
        ],
        spread: (spec.topologySpreadConstraints ?? []).map((x: any) => ({ maxSkew: x.maxSkew, topologyKey: x.topologyKey, hard: x.whenUnsatisfiable === 'DoNotSchedule', selector: x.labelSelector ?? {} })),
        tolerationSeconds: tolerationOf(spec),
        movable: true,
        daemon: false,
        ...extra,
      });
    }
  };
  for (const o of objects) {
    const owner = `${o.kind}/${o.metadata.name}`;
    if (options.jobs) {
      if (o.kind === 'Job') fromSpec(owner, 1, o.spec.template.metadata?.labels ?? {}, o.spec.template.spec);
      if (o.kind === 'CronJob' && !o.spec.suspend) fromSpec(owner, 1, o.spec.jobTemplate.spec.template.metadata?.labels ?? {}, o.spec.jobTemplate.spec.template.spec);
      continue;
    }
    switch (o.kind) {
      case 'Deployment':
      case 'StatefulSet':
        fromSpec(owner, o.spec.replicas ?? (o.kind === 'Deployment' ? scaledMin.get(o.metadata.name) : undefined) ?? 1, o.spec.template.metadata?.labels ?? {}, o.spec.template.spec);
        break;
      case 'DaemonSet':
        fromSpec(owner, 1, o.spec.template.metadata?.labels ?? {}, o.spec.template.spec, { daemon: true });
        break;
      case 'Cluster': {
        // CloudNativePG instance pods: anti-affinity per its spec; each is tied to its volumes.
        const s = o.spec;
        const labels = { 'cnpg.io/cluster': o.metadata.name, 'cnpg.io/podRole': 'instance', 'app.kubernetes.io/component': 'database' };
        const anti = s.affinity?.enablePodAntiAffinity === false ? [] : [{
          selector: { matchLabels: { 'cnpg.io/cluster': o.metadata.name, 'cnpg.io/podRole': 'instance' } },
          topologyKey: s.affinity?.topologyKey ?? 'kubernetes.io/hostname',
          required: s.affinity?.podAntiAffinityType === 'required',
        }];
        const spec = {
          containers: [{ resources: s.resources }],
          affinity: { nodeAffinity: s.affinity?.nodeAffinity },
          priorityClassName: s.priorityClassName,
        };
        fromSpec(owner, s.instances ?? 1, labels, spec, { antiAffinity: anti, movable: false, component: 'database' });
        break;
      }
      case 'Pooler': {
        const t = o.spec.template ?? {};
        const labels = { ...(t.metadata?.labels ?? {}), 'cnpg.io/poolerName': o.metadata.name };
        fromSpec(owner, o.spec.instances ?? 1, labels, t.spec ?? { containers: [] }, { component: 'pooler' });
        break;
      }
      default:
    }
  }
  return pods;
}

// ---------------------------------------------------------------------------------------------
// Matching

function exprMatches(e: SelectorExpression, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, e.key);
  const v = labels[e.key];
  switch (e.operator) {
    case 'In': return has && (e.values ?? []).includes(v);
    case 'NotIn': return !has || !(e.values ?? []).includes(v);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': return has && Number(v) > Number(e.values?.[0]);
    case 'Lt': return has && Number(v) < Number(e.values?.[0]);
    default: return false;
  }
}

/** Does a term (matchLabels and matchExpressions, ANDed) match these labels? */
export function termMatches(t: LabelSelectorTerm, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(t.matchLabels ?? {}).every(([k, v]) => labels[k] === v) && (t.matchExpressions ?? []).every((e) => exprMatches(e, labels));
}

/** Required node affinity: any term matches (no terms: every node). */
export function nodeAllowed(pod: PodDemand, node: PlanNode): boolean {
  return pod.requiredTerms.length === 0 || pod.requiredTerms.some((t) => termMatches(t, node.labels));
}

// ---------------------------------------------------------------------------------------------
// Placing

class State {
  readonly byNode = new Map<string, PodDemand[]>();
  constructor(readonly nodes: readonly PlanNode[]) {
    for (const n of nodes) this.byNode.set(n.name, []);
  }
  used(node: string) {
    return (this.byNode.get(node) ?? []).reduce((a, p) => ({ cpu: a.cpu + p.cpu, memory: a.memory + p.memory }), { cpu: 0, memory: 0 });
  }
  free(n: PlanNode) {
    const u = this.used(n.name);
    return { cpu: n.allocatable.cpu - u.cpu, memory: n.allocatable.memory - u.memory };
  }
  count(node: string, selector: LabelSelectorTerm, except?: PodDemand) {
    return (this.byNode.get(node) ?? []).filter((p) => p !== except && termMatches(selector, p.labels)).length;
  }
  add(node: string, p: PodDemand) { this.byNode.get(node)!.push(p); }
  remove(node: string, p: PodDemand) {
    const list = this.byNode.get(node)!;
    list.splice(list.indexOf(p), 1);
  }
  snapshot(pending: Pending[]): PlanPlacement {
    return { byNode: new Map([...this.byNode].map(([k, v]) => [k, [...v]])), pending };
  }
}

/** Why a pod cannot go to this node, or undefined when it can (resources aside when `ignoreResources`). */
function blocker(s: State, pod: PodDemand, node: PlanNode, ignoreResources = false): string | undefined {
  if (!nodeAllowed(pod, node)) return 'affinity';
  for (const a of pod.antiAffinity) {
    if (a.required && a.topologyKey === 'kubernetes.io/hostname' && s.count(node.name, a.selector) > 0) return 'anti-affinity';
  }
  for (const c of pod.spread) {
    if (!c.hard || c.topologyKey !== 'kubernetes.io/hostname') continue;
    const domains = s.nodes.filter((n) => nodeAllowed(pod, n));
    const min = Math.min(...domains.map((n) => s.count(n.name, c.selector)));
    if (s.count(node.name, c.selector) + 1 - min > c.maxSkew) return 'spread';
  }
  if (!ignoreResources) {
    const f = s.free(node);
    if (f.memory < pod.memory) return 'memory';
    if (f.cpu < pod.cpu) return 'cpu';
  }
  return undefined;
}

function score(s: State, pod: PodDemand, node: PlanNode): number[] {
  const pref = pod.preferred.filter((p) => termMatches(p.term, node.labels)).reduce((n, p) => n + p.weight, 0);
  const anti = pod.antiAffinity.filter((a) => !a.required).reduce((n, a) => n + s.count(node.name, a.selector), 0);
  const soft = pod.spread.filter((c) => !c.hard).reduce((n, c) => n + s.count(node.name, c.selector), 0);
  const f = s.free(node);
  // Higher is better, compared in order.
  return [pref, -anti, -soft, f.memory / node.allocatable.memory];
}

/** Preemption cost: the highest victim priority, then how many. */
const cost = (v: PodDemand[]) => [Math.max(-Infinity, ...v.map((x) => x.priority)), v.length];

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

function better(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

/** Pods in the order the scheduler's queue takes them: priority, then size, then name. */
function queueOrder(pods: readonly PodDemand[]): PodDemand[] {
  return [...pods].sort((a, b) => b.priority - a.priority || b.memory - a.memory || byCodeUnits(a.id, b.id));
}

/** Why a pod found no node in a placement, in the words the planner uses everywhere. */
export function explainPending(placement: PlanPlacement, nodes: readonly PlanNode[], pod: PodDemand): string {
  const s = new State(nodes);
  for (const n of nodes) for (const p of placement.byNode.get(n.name) ?? []) s.add(n.name, p);
  return explain(s, pod);
}

/** The surge pod of a rolling update: a new revision, so spread with matchLabelKeys [pod-template-hash] counts only itself. */
export function surgePod(template: PodDemand): PodDemand {
  return {
    ...template,
    id: `${template.owner}#surge`,
    labels: { ...template.labels, 'pod-template-hash': 'next' },
    spread: template.spread.map((c) => ({ ...c, selector: { ...c.selector, matchLabels: { ...(c.selector.matchLabels ?? {}), 'pod-template-hash': 'next' } } })),
  };
}

function explain(s: State, pod: PodDemand): string {
  const allowed = s.nodes.filter((n) => nodeAllowed(pod, n));
  const where = describeTerms(pod);
  if (allowed.length === 0) return `no node matches its required affinity (${where})`;
  const open = allowed.filter((n) => blocker(s, pod, n, true) === undefined);
  if (open.length === 0) {
    if (allowed.some((n) => blocker(s, pod, n, true) === 'anti-affinity')) {
      return `anti-affinity needs one node per ${pod.owner.startsWith('Cluster/') ? 'instance' : 'replica'}: ${where} has ${allowed.length} node${allowed.length === 1 ? '' : 's'}, each already holding one`;
    }
    return `topology spread (DoNotSchedule) allows none of the ${allowed.length} nodes in ${where}`;
  }
  const most = open.map((n) => ({ n, f: s.free(n) })).sort((a, b) => b.f.memory - a.f.memory)[0];
  if (open.every((n) => s.free(n).memory < pod.memory)) {
    return `no ${where} node has ${humanMemory(pod.memory)} free (most: ${humanMemory(Math.max(0, most.f.memory))} on ${most.n.name})`;
  }
  return `no ${where} node has ${pod.cpu}m CPU free`;
}

function describeTerms(pod: PodDemand): string {
  const term = pod.requiredTerms[0];
  if (!term) return 'schedulable';
  const get = (key: string) => (term.matchExpressions ?? []).find((e) => e.key === key)?.values;
  const arch = get('kubernetes.io/arch');
  const pools = (term.matchExpressions ?? []).filter((e) => e.key !== 'kubernetes.io/arch').flatMap((e) => e.values ?? []);
  return `${arch ? `${arch.join('/')} ` : ''}${pools.length ? `pool ${pools.join('/')}` : 'nodes'}`.trim();
}

/** Tries to place one pod, preempting lower-priority pods if its class allows. Returns the node, or a reason. */
function placeOne(s: State, pod: PodDemand, evicted: PodDemand[]): { node?: string; reason?: string } {
  let best: PlanNode | undefined;
  let bestScore: number[] = [];
  for (const n of s.nodes) {
    if (blocker(s, pod, n) !== undefined) continue;
    const sc = score(s, pod, n);
    if (!best || better(sc, bestScore)) {
      best = n;
      bestScore = sc;
    }
  }
  if (best) {
    s.add(best.name, pod);
    return { node: best.name };
  }
  if (pod.preempts) {
    // Preemption: the node where evicting the fewest, lowest-priority pods makes room.
    let choice: { n: PlanNode; victims: PodDemand[] } | undefined;
    for (const n of s.nodes) {
      const b = blocker(s, pod, n, true);
      if (b !== undefined) continue;
      const candidates = (s.byNode.get(n.name) ?? []).filter((p) => p.priority < pod.priority && p.movable)
        .sort((a, b2) => a.priority - b2.priority || b2.memory - a.memory);
      const f = s.free(n);
      const victims: PodDemand[] = [];
      let mem = f.memory;
      let cpu = f.cpu;
      for (const v of candidates) {
        if (mem >= pod.memory && cpu >= pod.cpu) break;
        victims.push(v);
        mem += v.memory;
        cpu += v.cpu;
      }
      if (mem < pod.memory || cpu < pod.cpu) continue;
      if (!choice || lexLess(cost(victims), cost(choice.victims))) choice = { n, victims };
    }
    if (choice) {
      for (const v of choice.victims) {
        s.remove(choice.n.name, v);
        evicted.push(v);
      }
      s.add(choice.n.name, pod);
      return { node: choice.n.name };
    }
  }
  return { reason: explain(s, pod) };
}

/** Places pods (DaemonSet pods first, on every eligible node) into a state; returns the pending ones. */
function placeAll(s: State, pods: readonly PodDemand[], moved?: { pod: PodDemand; to: string }[]): Pending[] {
  const pending: Pending[] = [];
  for (const d of pods.filter((p) => p.daemon)) {
    for (const n of s.nodes) if (nodeAllowed(d, n)) s.add(n.name, d);
  }
  const queue = queueOrder(pods.filter((p) => !p.daemon));
  while (queue.length > 0) {
    const pod = queue.shift()!;
    const evicted: PodDemand[] = [];
    const r = placeOne(s, pod, evicted);
    if (r.node) moved?.push({ pod, to: r.node });
    else pending.push({ pod, reason: r.reason! });
    // Displaced pods go back into the queue, in order.
    if (evicted.length > 0) {
      queue.push(...evicted);
      queue.splice(0, queue.length, ...queueOrder(queue));
    }
  }
  return pending;
}

/** Places every pod on the nodes. */
export function placePods(pods: readonly PodDemand[], nodes: readonly PlanNode[]): PlanPlacement {
  const s = new State(nodes);
  const pending = placeAll(s, pods);
  return s.snapshot(pending);
}

/**
 * Places more pods into an existing placement (pods that start later: catch-up pods, a surge
 * pod, a Job run). With `preempt: false` nobody is evicted for them, whatever their class.
 */
export function addPods(base: PlanPlacement, nodes: readonly PlanNode[], extra: readonly PodDemand[], options: { preempt?: boolean } = {}): PlanPlacement {
  const s = new State(nodes);
  for (const n of nodes) for (const p of base.byNode.get(n.name) ?? []) s.add(n.name, p);
  const pods = options.preempt === false ? extra.map((p) => ({ ...p, preempts: false })) : extra;
  const pending = placeAll(s, pods);
  return s.snapshot([...base.pending, ...pending]);
}

/**
 * Replays the loss of one node from a placement. With `controlPlaneDown` the node took the
 * Kubernetes API with it: pods on the other nodes keep running (the kubelets keep their
 * containers), but nothing marks the node NotReady, evicts or reschedules its pods, and the
 * CloudNativePG operator cannot promote a replica, so a database instance there may have been
 * the primary: the database counts as down.
 */
export function loseNode(normal: PlanPlacement, nodes: readonly PlanNode[], lost: string, options: { controlPlaneDown?: boolean } = {}): LossScenario {
  const rest = nodes.filter((n) => n.name !== lost);
  const s = new State(rest);
  for (const n of rest) for (const p of normal.byNode.get(n.name) ?? []) s.add(n.name, p);
  const onLost = (normal.byNode.get(lost) ?? []).filter((p) => !p.daemon);
  const waiting = onLost.filter((p) => !p.movable);
  const moved: { pod: PodDemand; to: string }[] = [];
  const down = options.controlPlaneDown === true;
  const stranded = down ? onLost.filter((p) => p.movable) : [];
  const pending = down ? [] : placeAll(s, [...onLost.filter((p) => p.movable), ...normal.pending.map((x) => x.pod)], moved);
  const critical: Record<string, boolean> = {};
  for (const comp of CRITICAL_COMPONENTS) {
    const all = [...normal.byNode.values()].flat().filter((p) => p.component === comp);
    if (all.length === 0) continue;
    const survivors = all.filter((p) => !onLost.includes(p));
    critical[comp] = survivors.length > 0 && !(down && comp === 'database' && survivors.length < all.length);
  }
  const failoverSeconds: Record<string, number> = {};
  if (!down) {
    for (const p of onLost) {
      failoverSeconds[p.owner] = Math.max(failoverSeconds[p.owner] ?? 0, NODE_MONITOR_GRACE_SECONDS + p.tolerationSeconds);
    }
  }
  return { lost, placement: s.snapshot(pending), moved, waiting, critical, failoverSeconds, controlPlaneUp: !down, stranded };
}

/** For every Deployment that rolls with a surge: is there a node its rules allow with room for one more pod? */
export function rolloutRoom(objects: readonly any[], normal: PlanPlacement, nodes: readonly PlanNode[], pods: readonly PodDemand[]): RolloutRoom[] {
  const out: RolloutRoom[] = [];
  for (const o of objects) {
    if (o.kind !== 'Deployment' || (o.spec.replicas ?? 1) === 0) continue;
    const strategy = o.spec.strategy ?? { type: 'RollingUpdate' };
    if (strategy.type === 'Recreate') continue;
    const owner = `Deployment/${o.metadata.name}`;
    const template = pods.find((p) => p.owner === owner);
    if (!template) continue;
    const s = new State(nodes);
    for (const n of nodes) for (const p of normal.byNode.get(n.name) ?? []) s.add(n.name, p);
    // The surge pod is a new revision: spread with matchLabelKeys [pod-template-hash] counts only its own revision.
    const surge: PodDemand = { ...template, id: `${owner}#surge`, labels: { ...template.labels, 'pod-template-hash': 'next' }, spread: template.spread.map((c) => ({ ...c, selector: { ...c.selector, matchLabels: { ...(c.selector.matchLabels ?? {}), 'pod-template-hash': 'next' } } })) };
    const fits = nodes.some((n) => blocker(s, surge, n) === undefined);
    out.push(fits ? { owner, ok: true } : { owner, ok: false, reason: `${explain(s, surge)}; with maxUnavailable 0 the rollout stalls` });
  }
  return out;
}

/** For every Job and CronJob: is there a node its rules allow with room for its pod next to everything else? */
export function jobRoom(objects: readonly any[], normal: PlanPlacement, nodes: readonly PlanNode[]): RolloutRoom[] {
  const s = new State(nodes);
  for (const n of nodes) for (const p of normal.byNode.get(n.name) ?? []) s.add(n.name, p);
  return podsFromObjects(objects, { jobs: true }).map((job) => (nodes.some((n) => blocker(s, job, n) === undefined)
    ? { owner: job.owner, ok: true }
    : { owner: job.owner, ok: false, reason: `${explain(s, job)}; it stays Pending until something frees room` }));
}
