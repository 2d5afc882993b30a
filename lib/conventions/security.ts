/**
 * The one pod and container security context every generated pod uses: non-root with a
 * numeric uid, no privilege escalation, no capabilities, the runtime's seccomp profile and a
 * read-only root filesystem.
 */
import { k8s } from 'cdk8s-plus-28';

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
