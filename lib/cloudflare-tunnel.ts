import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Identity, selectorLabels } from './conventions/labels';
import { resourceName } from './rules/names';
import { placement } from './conventions/placement';
import { httpProbe } from './conventions/probes';
import { containerSecurityContext, securePodSpec } from './conventions/security';
import { containerResources, deploymentWithBudget, objectMeta } from './conventions/workload';
import { DEFAULT_FAILOVER_SECONDS, DEFAULT_POOL_LABEL, TUNNEL_DEFAULTS } from './model/defaults';
import { IMAGES, imageRef } from './rules/images';
import { formatPropProblems, PropProblem } from './rules/prop-problems';
import { TUNNEL_METRICS_PORT } from './rules/services';
import { tunnelReplicasProblem } from './rules/tunnel-checks';
import { validateIngressRules } from './rules/tunnel-rules';
import type { ImageSpec, IngressRule, ResourcesConfig, SecretKeyRef } from './model';

/** A locally managed tunnel: its routes are generated here, into a ConfigMap kept in git. */
export interface LocallyManagedTunnel {
  readonly mode: 'local';
  /** The tunnel's UUID (`cloudflared tunnel list`). */
  readonly tunnelId: string;
  /** The Secret key holding the credentials JSON that `cloudflared tunnel create` writes. */
  readonly credentialsSecret: SecretKeyRef;
  /** The ingress rules, first match wins; the last must be a catch-all such as `CATCH_ALL` (http_status:404). */
  readonly ingress: readonly IngressRule[];
}

/** A remotely managed tunnel: its routes live in the Cloudflare dashboard, only a token here. */
export interface RemotelyManagedTunnel {
  readonly mode: 'remote';
  /** The Secret key holding TUNNEL_TOKEN. */
  readonly tokenSecret: SecretKeyRef;
}

/**
 * Props for {@link CloudflareTunnel}. The defaults are the config's (lib/model/defaults.ts), except
 * `pools`: alone, any node.
 */
export interface CloudflareTunnelProps {
  /** Instance name; objects are `<instance>-tunnel`. */
  readonly instance: string;
  /** Which tunnel the connectors serve, and where its routes live. */
  readonly tunnel: LocallyManagedTunnel | RemotelyManagedTunnel;
  /** Connectors, spread over nodes; fewer than 2 is refused (one is cut off by any node loss or rollout). @default 2 */
  readonly replicas?: number;
  /** Pools the connectors may run in, each equally. @default any node: no pool term (the config lists every pool of its inventory) */
  readonly pools?: readonly string[];
  /** The node label whose value is the pool name. @default 'node-pool' */
  readonly poolLabel?: string;
  /** Transport to Cloudflare; http2 (TCP) avoids QUIC trouble on links with a small MTU. @default 'auto' */
  readonly protocol?: 'auto' | 'quic' | 'http2';
  /** Requests and memory limit of each connector. @default requests 50m / 64Mi, limit 256Mi */
  readonly resources?: ResourcesConfig;
  /** The cloudflared image. @default the pinned `docker.io/cloudflare/cloudflared` */
  readonly image?: ImageSpec;
  /** The PriorityClass of the pods. @default none (priority 0) */
  readonly priorityClassName?: string;
  /** Seconds before pods leave an unreachable node. @default 30 */
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
 *
 * ```ts
 * new CloudflareTunnel(chart, 'tunnel', {
 *   instance: 'social',
 *   tunnel: { mode: 'remote', tokenSecret: { name: 'social-tunnel', key: 'token' } },
 * });
 * ```
 *
 * Throws one Error listing every refused prop (as the config does): fewer than 2 replicas, and a
 * local tunnel's ingress rules that cloudflared refuses or that can never match.
 */
export class CloudflareTunnel extends Construct {
  /** Port of the metrics and /ready endpoint. */
  public static readonly METRICS_PORT = TUNNEL_METRICS_PORT;
  /** The name of the Deployment, its PodDisruptionBudget and ConfigMap: `<instance>-tunnel`. */
  public readonly name: string;
  public readonly deployment: k8s.KubeDeployment;
  public readonly budget?: k8s.KubePodDisruptionBudget;
  /** The generated config (locally managed tunnels). */
  public readonly configMap?: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: CloudflareTunnelProps) {
    super(scope, id);
    const t = props.tunnel;
    const image = props.image ?? IMAGES.cloudflared;
    const name = resourceName(props.instance, 'tunnel');
    this.name = name;
    const identity: Identity = { instance: props.instance, component: 'tunnel', version: image.tag };
    // The image's entrypoint is `cloudflared --no-autoupdate`; args start at `tunnel`.
    const args = ['tunnel', '--metrics', `0.0.0.0:${TUNNEL_METRICS_PORT}`, '--protocol', props.protocol ?? TUNNEL_DEFAULTS.protocol];
    const mounts: k8s.VolumeMount[] = [];
    const volumes: k8s.Volume[] = [];
    const env: k8s.EnvVar[] = [];
    const annotations: Record<string, string> = {};
    // What the config refuses too: too few connectors, and ingress rules cloudflared would
    // refuse or that could never match.
    const replicas = props.replicas ?? TUNNEL_DEFAULTS.replicas;
    const tooFew = tunnelReplicasProblem(replicas);
    const problems: PropProblem[] = [
      ...(tooFew ? [{ path: 'replicas', message: tooFew }] : []),
      ...(t.mode === 'local' ? validateIngressRules(t.ingress.map((r, i) => ({ ...r, source: `tunnel.ingress[${i}]` }))) : []),
    ];
    if (problems.length > 0) throw new Error(formatPropProblems(`CloudflareTunnel ${name}`, problems));
    if (t.mode === 'local') {
      const configYaml = tunnelConfigYaml(t.tunnelId, t.ingress);
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
      poolLabel: props.poolLabel ?? DEFAULT_POOL_LABEL,
      // Allowed in every listed pool, with no preference: the tunnel must survive either side going dark.
      pool: props.pools,
      architectures: image.architectures,
      spread: { mode: 'hard', selector: selectorLabels(identity), rollingUpdate: true },
      failoverSeconds: props.failoverSeconds ?? DEFAULT_FAILOVER_SECONDS,
    });
    const result = deploymentWithBudget(this, {
      name,
      identity,
      replicas,
      strategy: 'surge',
      podAnnotations: annotations,
      podSpec: securePodSpec({
        uid: CLOUDFLARED_UID,
        placement: where,
        priorityClassName: props.priorityClassName,
        volumes,
        containers: [{
          name: 'cloudflared',
          image: imageRef(image),
          imagePullPolicy: 'IfNotPresent',
          args,
          env,
          ports: [{ name: 'metrics', containerPort: TUNNEL_METRICS_PORT, protocol: 'TCP' }],
          resources: containerResources(props.resources ?? TUNNEL_DEFAULTS.resources),
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
