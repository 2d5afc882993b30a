/**
 * Streaming must pick up a renewed database CA by itself. Pure: no cdk8s imports.
 *
 * Why: Node reads NODE_EXTRA_CA_CERTS once, when the process starts. CloudNativePG's CA is valid
 * 90 days and renewed 7 days before it runs out, with the same key (cloudnative-pg
 * internal/configuration/configuration.go CertificateDuration 90, ExpiringCheckThreshold 7;
 * pkg/certs/k8s.go renewCACertificate → pkg/certs/certs.go RenewCertificate, which re-signs the
 * existing key). OpenSSL checks the validity of the trust anchor too (`openssl verify -attime`
 * past the old CA's notAfter: "error 10 at 1 depth lookup: certificate has expired"; with the
 * renewed CA: OK). So a streaming process older than ~83 days still trusts only the old CA and
 * fails every new database connection once it expires, while /api/v1/streaming/health stays green.
 * A restore (a new Cluster, a new CA with a new key) breaks it at once.
 *
 * How: the kubelet updates the files of a Secret volume in place when the Secret changes (not
 * with subPath mounts, so the CA directory is mounted whole). The container copies the mounted
 * CA to an emptyDir when it starts and points NODE_EXTRA_CA_CERTS at the copy, so the copy is
 * exactly what this process trusts. The liveness probe compares the mounted file with the copy;
 * when they differ it fails, and the kubelet restarts the container, which copies the new CA.
 * The failure waits a delay derived from the pod name (0 to {@link CA_RELOAD_SPREAD_SECONDS}),
 * so the streaming pods do not all restart in the same minute: the renewed CA comes 7 days
 * before the old one expires, so there is no hurry.
 *
 * What the image needs (mastodon/mastodon streaming/Dockerfile: node:<major>-trixie-slim plus
 * curl; the node image's docker-entrypoint.sh execs a command it finds on PATH): sh, cp, mkdir,
 * rm, cmp (diffutils, Essential in Debian), cksum, cut, stat, date, touch (coreutils) and curl.
 */

/** Where the copy the process loaded lives (inside the `/tmp` emptyDir). */
export const CA_LOADED_DIR = '/tmp/postgres-ca';
export const CA_LOADED_FILE = `${CA_LOADED_DIR}/ca.crt`;
/** Created by the probe when it first sees the mounted CA differ from the loaded one. */
export const CA_CHANGED_MARK = `${CA_LOADED_DIR}/changed`;
/** The restarts of the streaming pods are spread over this many seconds after the CA changes. */
export const CA_RELOAD_SPREAD_SECONDS = 900;
/** The pod's name, as the container sees it (its UTS namespace). */
export const POD_NAME_FILE = '/proc/sys/kernel/hostname';
/** What the streaming image runs (its CMD in streaming/Dockerfile). */
export const STREAMING_CMD = 'node ./streaming/index.js';

/** The container's command line: copy the mounted CA, then run streaming with the copy. */
export function caReloadStartScript(mountedCa: string, cmd: string = STREAMING_CMD): string {
  return [
    'set -e',
    `mkdir -p ${CA_LOADED_DIR}`,
    `cp ${mountedCa} ${CA_LOADED_FILE}.tmp`,
    `mv ${CA_LOADED_FILE}.tmp ${CA_LOADED_FILE}`,
    `rm -f ${CA_CHANGED_MARK}`,
    `exec ${cmd}`,
  ].join('\n');
}

/**
 * The liveness check: fails once the mounted CA has differed from the loaded copy for longer
 * than this pod's delay; otherwise the health endpoint decides (as the HTTP probe did).
 */
export function caReloadProbeScript(mountedCa: string, healthUrl: string, spreadSeconds: number = CA_RELOAD_SPREAD_SECONDS): string {
  return [
    `if ! cmp -s ${mountedCa} ${CA_LOADED_FILE}; then`,
    `  [ -e ${CA_CHANGED_MARK} ] || touch ${CA_CHANGED_MARK}`,
    `  delay=$(( $(cksum < ${POD_NAME_FILE} | cut -d ' ' -f 1) % ${spreadSeconds} ))`,
    `  age=$(( $(date +%s) - $(stat -c %Y ${CA_CHANGED_MARK}) ))`,
    `  if [ "$age" -ge "$delay" ]; then echo "the database CA changed ${'$'}{age}s ago: restart to load it" >&2; exit 1; fi`,
    'fi',
    `exec curl -fsS -o /dev/null -m 4 ${healthUrl}`,
  ].join('\n');
}
