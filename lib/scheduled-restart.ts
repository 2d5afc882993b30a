import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Identity } from './conventions/labels';
import { resourceName } from './rules/names';
import { placement } from './conventions/placement';
import { priorityClassName } from './conventions/priority';
import { containerSecurityContext, securePodSpec } from './conventions/security';
import { containerResources, objectMeta, scheduledJob } from './conventions/workload';
import { imageRef } from './rules/images';
import { RESTARTS_ANNOTATION } from './rules/restart-room';
import type { ResolvedConfig } from './model';

/** uid of `nobody`: kubectl needs no user of its own. */
const NOBODY = 65534;

/** One scheduled restart: the Deployment and when. */
export interface RestartTarget {
  /** Short name in object names: `web`, `streaming`, `sidekiq-push`. */
  readonly short: string;
  /** The Deployment's name. */
  readonly deployment: string;
  /** Five-field cron schedule. */
  readonly schedule: string;
}

/** The restarts the config asks for, in a stable order (web, streaming, then Sidekiq by process order). */
export function restartTargets(c: ResolvedConfig): RestartTarget[] {
  const out: RestartTarget[] = [];
  if (c.restarts.web) out.push({ short: 'web', deployment: resourceName(c.name, 'web'), schedule: c.restarts.web });
  if (c.restarts.streaming) out.push({ short: 'streaming', deployment: resourceName(c.name, 'streaming'), schedule: c.restarts.streaming });
  for (const p of c.sidekiq.processes) {
    const schedule = c.restarts.sidekiq[p.name];
    if (schedule) out.push({ short: `sidekiq-${p.name}`, deployment: resourceName(c.name, 'sidekiq', p.name), schedule });
  }
  return out;
}

/** Props for {@link ScheduledRestarts}. */
export interface ScheduledRestartsProps {
  /** The resolved configuration (`restarts`). */
  readonly config: ResolvedConfig;
}

/**
 * Rolling restarts on a schedule, against Ruby's memory creep: per target, a CronJob that runs
 * `kubectl rollout restart deployment/<name>` with its own ServiceAccount, whose Role may only
 * `get` and `patch` that one Deployment (`resourceNames`). `kubectl rollout restart` reads the
 * object and sends a strategic merge patch that sets the pod template annotation
 * `kubectl.kubernetes.io/restartedAt` (kubernetes/kubectl pkg/cmd/rollout/rollout_restart.go
 * and pkg/polymorphichelpers/objectrestarter.go), so get and patch are all it needs. The
 * Deployment then rolls as it always does: web and streaming one surge pod at a time with
 * `maxUnavailable: 0`, the Sidekiq scheduler with Recreate. Suspended while
 * `maintenance.stopWorkloads` is on.
 */
export class ScheduledRestarts extends Construct {
  /** CronJobs by target short name. */
  public readonly cronJobs: Readonly<Record<string, k8s.KubeCronJob>>;

  constructor(scope: Construct, id: string, props: ScheduledRestartsProps) {
    super(scope, id);
    const c = props.config;
    const identity: Identity = { instance: c.name, component: 'restart', version: c.images.kubectl.tag };
    const out: Record<string, k8s.KubeCronJob> = {};
    for (const t of restartTargets(c)) {
      const name = resourceName(c.name, 'restart', t.short);
      const sa = new k8s.KubeServiceAccount(this, `${t.short}-ServiceAccount`, {
        metadata: objectMeta(name, identity, 'config'),
        automountServiceAccountToken: false,
      });
      const role = new k8s.KubeRole(this, `${t.short}-Role`, {
        metadata: objectMeta(name, identity, 'config'),
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: [t.deployment], verbs: ['get', 'patch'] }],
      });
      new k8s.KubeRoleBinding(this, `${t.short}-RoleBinding`, {
        metadata: objectMeta(name, identity, 'config'),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
        subjects: [{ kind: 'ServiceAccount', name: sa.name }],
      });
      const job = scheduledJob(this, `${t.short}-CronJob`, {
        name,
        identity,
        schedule: t.schedule,
        suspend: c.maintenance.stopWorkloads,
        // A failed restart is retried once; the old pods keep serving meanwhile.
        backoffLimit: 1,
        podSpec: securePodSpec({
          uid: NOBODY,
          serviceAccountName: sa.name,
          restartPolicy: 'Never',
          priorityClassName: priorityClassName(c.name, 'workers'),
          placement: placement({ poolLabel: c.nodes.poolLabel, pool: c.web.pool, architectures: c.images.kubectl.architectures }),
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
          containers: [{
            name: 'restart',
            image: imageRef(c.images.kubectl),
            imagePullPolicy: 'IfNotPresent',
            command: ['kubectl', 'rollout', 'restart', `deployment/${t.deployment}`],
            // kubectl writes its discovery cache under $HOME/.kube.
            env: [{ name: 'HOME', value: '/tmp' }],
            resources: containerResources({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } }),
            securityContext: containerSecurityContext(NOBODY),
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }],
        }),
      });
      job.metadata.addAnnotation(RESTARTS_ANNOTATION, `Deployment/${t.deployment}`);
      out[t.short] = job;
    }
    this.cronJobs = out;
  }
}
