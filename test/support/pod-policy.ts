/**
 * Polaris-style checks on every pod spec: security context, resources, probes, image tags and
 * pull policy. Returns one line per offence, naming the object and the container. The only
 * exemptions are the table POD_POLICY_EXEMPTIONS next to securePodSpec (lib/conventions/security.ts).
 */
import { PodPolicyRule, POD_POLICY_EXEMPTIONS, podPolicyExemptions } from '../../lib/conventions/security';

const WORKLOADS: Record<string, (o: any) => any> = {
  Deployment: (o) => o.spec.template.spec,
  StatefulSet: (o) => o.spec.template.spec,
  DaemonSet: (o) => o.spec.template.spec,
  Job: (o) => o.spec.template.spec,
  CronJob: (o) => o.spec.jobTemplate.spec.template.spec,
  Pod: (o) => o.spec,
};
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
/** Pod template labels of a workload. */
const TEMPLATE_LABELS: Record<string, (o: any) => Record<string, string> | undefined> = {
  Deployment: (o) => o.spec.template.metadata?.labels,
  StatefulSet: (o) => o.spec.template.metadata?.labels,
  DaemonSet: (o) => o.spec.template.metadata?.labels,
  Job: (o) => o.spec.template.metadata?.labels,
  CronJob: (o) => o.spec.jobTemplate.spec.template.metadata?.labels,
  Pod: (o) => o.metadata?.labels,
};

/** Which exemption forgave which offence: `<exemption index>` → offences forgiven (for the staleness check). */
export type ForgivenLog = Map<number, string[]>;

/** Every offence in these objects; empty when all pods pass. */
export function podPolicyOffences(objects: any[], forgivenLog?: ForgivenLog): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const get = WORKLOADS[o.kind];
    if (!get) continue;
    const spec = get(o);
    const where = `${o.kind}/${o.metadata.name}`;
    const pod = spec.securityContext ?? {};
    const labels = TEMPLATE_LABELS[o.kind](o);
    const containerNames: string[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: any) => c.name);
    const bad = (what: string, container?: string) => {
      const line = `${where}${container ? ` container ${container}` : ''}: ${what}`;
      // A pod-level offence is forgiven only when an exemption covers every container.
      const forgivers = (container ? [container] : containerNames).map((n) => podPolicyExemptions(o, spec, labels, n).find((e) => e.rules.includes(what as PodPolicyRule)));
      if (forgivers.length > 0 && forgivers.every((e) => e)) {
        for (const e of new Set(forgivers)) {
          const i = POD_POLICY_EXEMPTIONS.indexOf(e!);
          forgivenLog?.set(i, [...(forgivenLog.get(i) ?? []), line]);
        }
        return;
      }
      out.push(line);
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
        if (!c.livenessProbe) bad('no liveness probe', c.name);
      }
    }
  }
  return out;
}
