/**
 * The one pod and container security context every generated pod uses: non-root with a
 * numeric uid, no privilege escalation, no capabilities, the runtime's seccomp profile and a
 * read-only root filesystem.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Manifest } from '../model';
import type { Placement } from './placement';

/** uid and gid of the `mastodon` user in both official Mastodon images. */
export const MASTODON_UID = 991;
/** uid and gid of the `redis` user in the official Redis image. */
export const REDIS_UID = 999;

/** Pod-level context: numeric uid/gid, fsGroup for mounted volumes, RuntimeDefault seccomp. */
export function podSecurityContext(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level context: locked down, with a read-only root filesystem. */
export function containerSecurityContext(uid: number): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** What a pod spec needs beyond the shared security settings. */
export interface SecurePodProps {
  /** uid and gid the pod runs as (also its fsGroup). */
  readonly uid: number;
  /** The containers. */
  readonly containers: k8s.Container[];
  /** Affinity, and optionally tolerations and spread, from `placement()`. */
  readonly placement: Placement;
  /** @default none (priority 0) */
  readonly priorityClassName?: string;
  /** @default Always */
  readonly restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  /** @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** @default none */
  readonly volumes?: k8s.Volume[];
  /** A dedicated, least-privilege ServiceAccount: only then is a token mounted. @default none, no token */
  readonly serviceAccountName?: string;
}

/**
 * The one pod spec shape every generated pod uses: the pod security context, no service
 * account token unless a dedicated ServiceAccount is named, no service links.
 */
export function securePodSpec(p: SecurePodProps): k8s.PodSpec {
  return {
    ...(p.serviceAccountName ? { serviceAccountName: p.serviceAccountName, automountServiceAccountToken: true } : { automountServiceAccountToken: false }),
    // Service links inject *_PORT variables that can clash with the app's own settings.
    enableServiceLinks: false,
    ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    securityContext: podSecurityContext(p.uid),
    terminationGracePeriodSeconds: p.terminationGracePeriodSeconds ?? 30,
    restartPolicy: p.restartPolicy ?? 'Always',
    affinity: p.placement.affinity,
    ...(p.placement.tolerations ? { tolerations: p.placement.tolerations } : {}),
    ...(p.placement.topologySpreadConstraints ? { topologySpreadConstraints: p.placement.topologySpreadConstraints } : {}),
    containers: p.containers,
    ...(p.volumes && p.volumes.length > 0 ? { volumes: p.volumes } : {}),
  };
}

/** The checks of the pod policy (test/support/pod-policy.ts) an object can be exempt from. */
export type PodPolicyRule =
  | 'shares a host namespace'
  | 'runAsNonRoot is not true'
  | 'no numeric non-root runAsUser'
  | 'allowPrivilegeEscalation is not false'
  | 'privileged'
  | 'capabilities are not dropped (drop: [ALL])'
  | 'no liveness probe';

/**
 * One exemption from the pod policy: which object (by kind and stable role, the
 * `app.kubernetes.io/component` label, with `app.kubernetes.io/name` and a name pattern where
 * the role alone is not unique), which containers, which rules, and why, with the upstream fact.
 */
export interface PodPolicyExemption {
  /** Workload kind: `Deployment`, `DaemonSet`, `Job`, ... */
  readonly kind: string;
  /** `app.kubernetes.io/component` of the object and its pod template. */
  readonly component: string;
  /** `app.kubernetes.io/name` of the pod template. @default any */
  readonly appName?: string;
  /** The object's name must match. @default any */
  readonly name?: RegExp;
  /** The container it applies to. @default every container */
  readonly container?: string;
  /** The rules forgiven. */
  readonly rules: readonly PodPolicyRule[];
  /** The pod must not also do this (the exemption is void when it does). @default nothing */
  readonly unless?: { readonly hostPID?: true; readonly hostIPC?: true };
  /** Why, with the upstream fact. */
  readonly why: string;
}

/**
 * Every exemption from the pod policy. Each must match a rendered object and forgive an offence
 * it really has (test/hardening.test.ts fails otherwise), so none outlives its reason.
 */
export const POD_POLICY_EXEMPTIONS: readonly PodPolicyExemption[] = [
  {
    kind: 'DaemonSet', component: 'node-tuning', name: /-node-tuning$/,
    rules: ['shares a host namespace', 'runAsNonRoot is not true', 'no numeric non-root runAsUser', 'allowPrivilegeEscalation is not false', 'privileged', 'capabilities are not dropped (drop: [ALL])'],
    unless: { hostPID: true, hostIPC: true },
    why: 'lib/node-tuning.ts loads tcp_bbr and sets fq, BBR and MTU probing: the settings live in the host\'s network namespace, /proc/sys there is read-only to an unprivileged container (container runtimes mount it read-only unless privileged) and modprobe needs root, so it runs privileged, as root, in the host network, in its own namespace at the privileged Pod Security level; it never shares the host PID or IPC namespace, and every other rule holds.',
  },
  {
    kind: 'Deployment', component: 'sidekiq', container: 'sidekiq', rules: ['no liveness probe'],
    why: 'Mastodon\'s only Sidekiq health signal is the ready file: config/initializers/sidekiq.rb touches tmp/$MASTODON_SIDEKIQ_READY_FILENAME on Sidekiq\'s :startup event and removes it on :shutdown (lib/sidekiq-queue.ts), so it exists for the whole life of the process and a liveness probe on it can never fail; a crash or an OOM kill restarts the container anyway, and a hung process shows as queue latency.',
  },
  {
    kind: 'Job', component: 'client', appName: 'netcheck', name: /-host$/, rules: ['shares a host namespace'],
    why: 'The network doctor (lib/netcheck/manifests.ts) measures the node-to-node path beside the overlay: its host-network iperf3 clients must use the host network; nothing in them is privileged, and they are written to netcheck/, never to dist/.',
  },
  {
    kind: 'Job', component: 'server', appName: 'netcheck', name: /-host$/, rules: ['shares a host namespace'],
    why: 'The host-network iperf3 servers of the network doctor, for the same node-to-node measurement as its clients.',
  },
];

/** The exemptions that apply to this container of this object (a pod spec reader for each kind is the caller's). */
export function podPolicyExemptions(o: Manifest, podSpec: { readonly hostPID?: boolean; readonly hostIPC?: boolean }, podLabels: Record<string, string> | undefined, container: string): PodPolicyExemption[] {
  return POD_POLICY_EXEMPTIONS.filter((e) => e.kind === o.kind
    && o.metadata?.labels?.['app.kubernetes.io/component'] === e.component
    && podLabels?.['app.kubernetes.io/component'] === e.component
    && (e.appName === undefined || podLabels?.['app.kubernetes.io/name'] === e.appName)
    && (e.name === undefined || e.name.test(o.metadata.name))
    && (e.container === undefined || e.container === container)
    && !(e.unless?.hostPID && podSpec.hostPID) && !(e.unless?.hostIPC && podSpec.hostIPC));
}
