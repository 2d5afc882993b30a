/**
 * Polaris-style checks on every pod spec: security context, resources, probes, image tags and
 * pull policy. Returns one line per offence, naming the object and the container.
 */

const WORKLOADS: Record<string, (o: any) => any> = {
  Deployment: (o) => o.spec.template.spec,
  StatefulSet: (o) => o.spec.template.spec,
  DaemonSet: (o) => o.spec.template.spec,
  Job: (o) => o.spec.template.spec,
  CronJob: (o) => o.spec.jobTemplate.spec.template.spec,
  Pod: (o) => o.spec,
};
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
/**
 * Containers that may run without a liveness probe, and why. Sidekiq: Mastodon's only signal is
 * the ready file, which exists from startup to shutdown, so a probe on it can never fail.
 */
const NO_LIVENESS: Record<string, string> = {
  sidekiq: 'the ready file cannot fail as a liveness check; a crash or an OOM kill restarts the container anyway',
};

/**
 * The one exemption: the node-tuning DaemonSet (lib/node-tuning.ts) must write sysctls in the
 * host's network namespace, so it runs privileged, as root, in the host network. Only these
 * offences are forgiven, only on a DaemonSet labelled app.kubernetes.io/component: node-tuning
 * whose name ends in -node-tuning; it must still not share the host's PID or IPC namespace, and
 * every other rule (read-only root, seccomp, requests and limits, probes, pinned image) holds.
 */
export const NODE_TUNING_ALLOWED = [
  'shares a host namespace',
  'runAsNonRoot is not true',
  'no numeric non-root runAsUser',
  'allowPrivilegeEscalation is not false',
  'privileged',
  'capabilities are not dropped (drop: [ALL])',
];
function exempt(o: any, spec: any): boolean {
  return o.kind === 'DaemonSet'
    && o.metadata?.labels?.['app.kubernetes.io/component'] === 'node-tuning'
    && spec.template?.metadata?.labels?.['app.kubernetes.io/component'] === 'node-tuning'
    && /-node-tuning$/.test(o.metadata.name)
    && !spec.template.spec.hostPID && !spec.template.spec.hostIPC;
}

/** Every offence in these objects; empty when all pods pass. */
export function podPolicyOffences(objects: any[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const get = WORKLOADS[o.kind];
    if (!get) continue;
    const spec = get(o);
    const where = `${o.kind}/${o.metadata.name}`;
    const pod = spec.securityContext ?? {};
    const forgiven = exempt(o, o.spec ?? {}) ? NODE_TUNING_ALLOWED : [];
    const bad = (what: string, container?: string) => {
      if (!forgiven.includes(what)) out.push(`${where}${container ? ` container ${container}` : ''}: ${what}`);
    };
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) bad('shares a host namespace');
    if (spec.automountServiceAccountToken !== false && !spec.serviceAccountName) bad('mounts the default service account token (set automountServiceAccountToken: false)');
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const sc = c.securityContext ?? {};
      const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
      const runAsUser = sc.runAsUser ?? pod.runAsUser;
      const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
      if (runAsNonRoot !== true) bad('runAsNonRoot is not true', c.name);
      if (typeof runAsUser !== 'number' || runAsUser === 0) bad('no numeric non-root runAsUser', c.name);
      if (sc.allowPrivilegeEscalation !== false) bad('allowPrivilegeEscalation is not false', c.name);
      if (sc.privileged === true) bad('privileged', c.name);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) bad('capabilities are not dropped (drop: [ALL])', c.name);
      if ((sc.capabilities?.add ?? []).length > 0) bad(`adds capabilities ${sc.capabilities.add.join(', ')}`, c.name);
      if (sc.readOnlyRootFilesystem !== true) bad('root filesystem is writable', c.name);
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') bad('no seccomp profile (RuntimeDefault)', c.name);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) bad('no CPU or memory request', c.name);
      if (!c.resources?.limits?.memory) bad('no memory limit', c.name);
      const tag = /:([^/@:]+)$/.exec(c.image ?? '')?.[1];
      if (!tag && !/@sha256:/.test(c.image ?? '')) bad(`image ${c.image} has no tag`, c.name);
      if (tag === 'latest') bad(`image ${c.image} is not pinned (latest)`, c.name);
      if (c.imagePullPolicy !== 'IfNotPresent') bad(`imagePullPolicy is ${c.imagePullPolicy ?? 'unset'}, not IfNotPresent`, c.name);
      if (LONG_RUNNING.has(o.kind) && (spec.initContainers ?? []).indexOf(c) < 0) {
        if (!c.readinessProbe) bad('no readiness probe', c.name);
        if (!c.livenessProbe && !NO_LIVENESS[c.name]) bad('no liveness probe', c.name);
      }
    }
  }
  return out;
}
