import { ApiObject, Chart, ChartProps, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { standardLabels, selectorLabels, Identity } from './conventions/labels';
import { resourceName } from './rules/names';
import { imageRef } from './rules/images';
import { placement } from './conventions/placement';
import { DEFAULT_POOL_LABEL } from './model/defaults';
import { fqOnExistingInterfaces, NODE_SYSCTLS } from './rules/node-tuning';
import type { ImageSpec } from './model';

/** Props for {@link NodeTuningChart}. */
export interface NodeTuningChartProps extends Omit<ChartProps, 'namespace'> {
  /** Instance name; the DaemonSet is `<instance>-node-tuning`. */
  readonly instance: string;
  /** The namespace of its own, labelled for the privileged Pod Security level. @default `<instance>-node-tuning` */
  readonly namespace?: string;
  /** The image with busybox sysctl, modprobe and awk, and iproute2's ip and tc. */
  readonly image: ImageSpec;
  /** Seconds between re-applications (a node that rebooted, a value someone changed). @default 300 */
  readonly intervalSeconds?: number;
}

/** The label on the DaemonSet's namespace that lets privileged pods in. */
export const PRIVILEGED_NAMESPACE_LABELS = {
  'pod-security.kubernetes.io/enforce': 'privileged',
  'pod-security.kubernetes.io/audit': 'privileged',
  'pod-security.kubernetes.io/warn': 'privileged',
} as const;

/**
 * Opt-in kernel tuning on every node: loads tcp_bbr and sets fq, BBR and MTU probing in the
 * host's network namespace, puts fq on the interfaces whose qdisc the kernel picked before,
 * re-applies them every few minutes, and is Ready only while every
 * value is in place. The only privileged object this library makes: the settings live in the
 * host's network namespace and /proc/sys there is read-only to an unprivileged container, so
 * it needs hostNetwork and privileged. It has its own namespace, labelled for the privileged
 * Pod Security level, so the Mastodon namespace stays at restricted.
 */
export class NodeTuningChart extends Chart {
  public readonly namespaceObject: k8s.KubeNamespace;
  public readonly daemonSet: k8s.KubeDaemonSet;

  constructor(scope: Construct, id: string, props: NodeTuningChartProps) {
    const ns = props.namespace ?? resourceName(props.instance, 'node-tuning');
    const { instance: _i, namespace: _n, image: _img, intervalSeconds: _s, ...chartProps } = props;
    super(scope, id, { ...chartProps, namespace: ns, disableResourceNameHashes: true });
    const name = resourceName(props.instance, 'node-tuning');
    const identity: Identity = { instance: props.instance, component: 'node-tuning', version: props.image.tag };
    this.namespaceObject = new k8s.KubeNamespace(this, 'Namespace', {
      metadata: { name: ns, labels: { ...standardLabels(identity), ...PRIVILEGED_NAMESPACE_LABELS } },
    });
    // The chart's namespace would otherwise be stamped on the cluster-scoped Namespace.
    ApiObject.of(this.namespaceObject).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    const sysctls = Object.entries(NODE_SYSCTLS);
    const set = sysctls.map(([k, v]) => `${k}=${v}`).join(' ');
    const show = sysctls.map(([k]) => `${k}=$(sysctl -n ${k})`).join(' ');
    const check = sysctls.map(([k, v]) => `[ "$(sysctl -n ${k})" = "${v}" ]`).join(' && ');
    const interval = props.intervalSeconds ?? 300;
    // Writing bbr also makes the kernel load tcp_bbr itself (tcp_ca_find_autoload); modprobe
    // first, from the host's /lib/modules, so a kernel without autoload works too.
    const script = [
      'last=""',
      'while true; do',
      '  modprobe tcp_bbr 2>/dev/null || true',
      `  sysctl -w ${set} >/dev/null || echo "node-tuning: could not set ${set}" >&2`,
      // default_qdisc reaches only qdiscs created after it is set; give the existing ones fq too.
      ...fqOnExistingInterfaces().split('\n').map((l) => `  ${l}`),
      `  now="${show}"`,
      '  [ "$now" = "$last" ] || echo "node-tuning: applied on $NODE_NAME: $now"',
      '  last="$now"',
      `  sleep ${interval}`,
      'done',
    ].join('\n');
    const labels = standardLabels(identity);
    this.daemonSet = new k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: { name, namespace: ns, labels },
      spec: {
        selector: { matchLabels: selectorLabels(identity) },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels },
          spec: {
            hostNetwork: true,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // Every node, tainted ones included: the setting matters wherever pods run.
            tolerations: [{ operator: 'Exists' }],
            // Only where the image runs: the DaemonSet controller honours required node affinity
            // (kubernetes/kubernetes pkg/controller/daemon/daemon_controller.go, NodeShouldRunDaemonPod).
            affinity: placement({ poolLabel: DEFAULT_POOL_LABEL, architectures: props.image.architectures }).affinity,
            priorityClassName: 'system-node-critical',
            terminationGracePeriodSeconds: 5,
            containers: [{
              name: 'sysctl',
              image: imageRef(props.image),
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', '-c', script],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              securityContext: {
                privileged: true,
                runAsUser: 0,
                runAsNonRoot: false,
                readOnlyRootFilesystem: true,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              // Ready only while every value is applied; the probe prints them, so a failing
              // probe's event says which one is off.
              readinessProbe: {
                exec: { command: ['/bin/sh', '-c', `echo "${show}"; ${check}`] },
                periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 1,
              },
              livenessProbe: { exec: { command: ['/bin/sh', '-c', 'kill -0 1'] }, periodSeconds: 60, timeoutSeconds: 5 },
              resources: {
                requests: { cpu: k8s.Quantity.fromString('5m'), memory: k8s.Quantity.fromString('8Mi') },
                limits: { memory: k8s.Quantity.fromString('32Mi') },
              },
              volumeMounts: [{ name: 'modules', mountPath: '/lib/modules', readOnly: true }],
            }],
            volumes: [{ name: 'modules', hostPath: { path: '/lib/modules', type: 'Directory' } }],
          },
        },
      },
    });
  }
}
