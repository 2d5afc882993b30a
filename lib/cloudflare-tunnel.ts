import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Identity, selectorLabels } from './conventions/labels';
import { resourceName } from './conventions/names';
import { placement } from './conventions/placement';
import { httpProbe } from './conventions/probes';
import { containerSecurityContext, securePodSpec } from './conventions/security';
import { containerResources, deploymentWithBudget, objectMeta } from './conventions/workload';
import { imageRef } from './rules/images';
import { TUNNEL_METRICS_PORT } from './rules/services';
import type { ResolvedTunnel, TunnelConfig, ImageSpec, IngressRule } from './model';

/** Props for {@link CloudflareTunnel}. */
export interface CloudflareTunnelProps {
  /** Instance name; objects are `<instance>-tunnel`. */
  readonly instance: string;
  /** The `tunnel:` section of the config. */
  readonly tunnel: TunnelConfig;
  /** Pools and (for a locally managed tunnel) the validated ingress rules. */
  readonly resolved: ResolvedTunnel;
  /** The node label whose value is the pool name. */
  readonly poolLabel: string;
  /** The cloudflared image. */
  readonly image: ImageSpec;
  /** The PriorityClass of the pods. @default none (priority 0) */
  readonly priorityClassName?: string;
  /** Seconds before pods leave an unreachable node. @default 300 (Kubernetes) */
  readonly failoverSeconds?: number;
}

/** uid and gid of `nonroot` in the distroless cloudflared image. */
export const CLOUDFLARED_UID = 65532;
const CONFIG_DIR = '/etc/cloudflared/config';
const CREDENTIALS_DIR = '/etc/cloudflared/creds';

/** The config.yaml of a locally managed tunnel. */
export function tunnelConfigYaml(tunnelId: string, rules: readonly IngressRule[]): string {
  return stringify({
    'tunnel': tunnelId,
    'credentials-file': `${CREDENTIALS_DIR}/credentials.json`,
    'metrics': `0.0.0.0:${TUNNEL_METRICS_PORT}`,
    'no-autoupdate': true,
    'ingress': rules.map((r) => ({ ...(r.hostname ? { hostname: r.hostname } : {}), ...(r.path ? { path: r.path } : {}), service: r.service })),
  });
}

/**
 * cloudflared connectors: the only way in from the Internet. At least two replicas spread over
 * nodes and allowed in every pool, a PDB, uid 65532 with a read-only root filesystem.
 *
 * Locally managed: the ingress rules are generated from the chart into a ConfigMap, and a
 * checksum of it on the pod template rolls the connectors when a route changes. Remotely
 * managed: only TUNNEL_TOKEN, the routes live in Cloudflare.
 */
export class CloudflareTunnel extends Construct {
  public readonly deployment: k8s.KubeDeployment;
  public readonly budget?: k8s.KubePodDisruptionBudget;
  /** The generated config (locally managed tunnels). */
  public readonly configMap?: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: CloudflareTunnelProps) {
    super(scope, id);
    const t = props.tunnel;
    const name = resourceName(props.instance, 'tunnel');
    const identity: Identity = { instance: props.instance, component: 'tunnel', version: props.image.tag };
    // The image's entrypoint is `cloudflared --no-autoupdate`; args start at `tunnel`.
    const args = ['tunnel', '--metrics', `0.0.0.0:${TUNNEL_METRICS_PORT}`, '--protocol', t.protocol];
    const mounts: k8s.VolumeMount[] = [];
    const volumes: k8s.Volume[] = [];
    const env: k8s.EnvVar[] = [];
    const annotations: Record<string, string> = {};
    if (t.mode === 'local') {
      const configYaml = tunnelConfigYaml(t.tunnelId, props.resolved.rules ?? []);
      this.configMap = new k8s.KubeConfigMap(this, 'Config', {
        metadata: objectMeta(name, identity, 'config'),
        data: { 'config.yaml': configYaml },
      });
      annotations['checksum/config'] = createHash('sha256').update(configYaml).digest('hex');
      args.push('--config', `${CONFIG_DIR}/config.yaml`, 'run');
      mounts.push({ name: 'config', mountPath: CONFIG_DIR, readOnly: true }, { name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true });
      volumes.push(
        { name: 'config', configMap: { name: this.configMap.name } },
        { name: 'credentials', secret: { secretName: t.credentialsSecret.name, items: [{ key: t.credentialsSecret.key, path: 'credentials.json' }] } },
      );
    } else {
      args.push('run');
      env.push({ name: 'TUNNEL_TOKEN', valueFrom: { secretKeyRef: { name: t.tokenSecret.name, key: t.tokenSecret.key } } });
    }
    const where = placement({
      poolLabel: props.poolLabel,
      // Allowed in every listed pool, with no preference: the tunnel must survive either side going dark.
      pool: props.resolved.pools,
      architectures: props.image.architectures,
      spread: { mode: 'hard', selector: selectorLabels(identity), rollingUpdate: true },
      failoverSeconds: props.failoverSeconds,
    });
    const result = deploymentWithBudget(this, {
      name,
      identity,
      replicas: t.replicas,
      strategy: 'surge',
      podAnnotations: annotations,
      podSpec: securePodSpec({
        uid: CLOUDFLARED_UID,
        placement: where,
        priorityClassName: props.priorityClassName,
        volumes,
        containers: [{
          name: 'cloudflared',
          image: imageRef(props.image),
          imagePullPolicy: 'IfNotPresent',
          args,
          env,
          ports: [{ name: 'metrics', containerPort: TUNNEL_METRICS_PORT, protocol: 'TCP' }],
          resources: containerResources(t.resources),
          securityContext: containerSecurityContext(CLOUDFLARED_UID),
          volumeMounts: mounts,
          // /ready answers 200 once the connector holds at least one connection to Cloudflare.
          startupProbe: httpProbe('/ready', TUNNEL_METRICS_PORT, { periodSeconds: 5, failureThreshold: 24 }),
          readinessProbe: httpProbe('/ready', TUNNEL_METRICS_PORT, { periodSeconds: 10 }),
          livenessProbe: httpProbe('/ready', TUNNEL_METRICS_PORT, { periodSeconds: 10, failureThreshold: 3 }),
        }],
      }),
    });
    this.deployment = result.deployment;
    this.budget = result.budget;
  }
}
