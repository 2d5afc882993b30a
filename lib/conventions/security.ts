/**
 * The one pod and container security context every generated pod uses: non-root with a
 * numeric uid, no privilege escalation, no capabilities, the runtime's seccomp profile and a
 * read-only root filesystem.
 */
// The generated L1 classes only, without the L2 constructs of cdk8s-plus-28 (see README "How synth is fast").
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
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
