/**
 * The netcheck manifests: on every node an iperf3 server in the host network and one in the
 * pod network, and per node and network a client Job that measures every other node over both
 * networks. Written to their own folder (never dist/), applied and deleted by hand. Pure.
 *
 * Measurements run one at a time: the client Jobs are created suspended, and the generated
 * run.sh resumes one, waits for it to finish and collects its log before resuming the next
 * (suspend: Kubernetes ≥ 1.24; a suspended Job has no pods, and its activeDeadlineSeconds
 * clock starts when it is resumed). Inside a Job the targets run one after the other. So at any
 * moment at most one iperf3 or ping stream crosses the cluster.
 */
import { imageRef } from '../rules/images';
import type { FlannelBackend } from '../rules/k3s';
import { CLIENT_SCRIPT, clientEnv, IPERF_PORT, probeSizes, secondsPerTarget } from './script';
import { Net, NETS } from './types';
import type { Manifest, ImageSpec } from '../model';

/** The namespace everything netcheck makes lives in (delete it to clean up). */
export const NETCHECK_NAMESPACE = 'netcheck';
/** The headless Service whose per-pod DNS names the clients dial. */
export const NETCHECK_SERVICE = 'netcheck';
/** Seconds the clients wait for before the first Job: image pulls and server start. */
const START_SLACK = 120;
/** Seconds a finished client Job is kept (its log is collected right away by run.sh). */
export const CLIENT_TTL_SECONDS = 3600;

/** What the netcheck manifests are made from. */
export interface NetcheckOptions {
  /** Node names from the inventory, in order. */
  readonly nodes: readonly string[];
  readonly image: ImageSpec;
  /** @default vxlan */
  readonly backend?: FlannelBackend;
  /** @default netcheck */
  readonly namespace?: string;
}

/** The generated set: objects by file, and the order run.sh resumes the clients in. */
export interface NetcheckSet {
  readonly files: Readonly<Record<string, readonly Manifest[]>>;
  /** Client Job names, in run order. */
  readonly clientJobs: readonly string[];
  /** activeDeadlineSeconds of each client Job. */
  readonly clientDeadline: number;
  /** activeDeadlineSeconds of the server Jobs: the whole run plus slack. */
  readonly serverDeadline: number;
  readonly namespace: string;
}

/** The server's environment variable that holds its pod IP, the one address it listens on. */
export const SERVER_BIND_ENV = 'NETCHECK_BIND';

/**
 * The server command. The kubelet expands `$(NETCHECK_BIND)` from the container's environment
 * (kubernetes/kubernetes pkg/kubelet/container/helpers.go, ExpandContainerCommandAndArgs).
 */
export function serverCommand(port: number): string[] {
  return ['iperf3', '--server', '--port', String(port), '--bind', `$(${SERVER_BIND_ENV})`];
}

/** A DNS label for a node name (node names may hold dots). */
export function nodeLabel(node: string): string {
  const base = node.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  if (base === node && base.length <= 50) return base;
  let h = 0;
  for (const ch of node) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `${base.slice(0, 43).replace(/-+$/, '')}-${h.toString(36).slice(0, 6)}`;
}

/** The DNS name of a node's server in one network (`<label>-<net>.netcheck.netcheck.svc.cluster.local`). */
export function serverHost(node: string, net: Net, namespace = NETCHECK_NAMESPACE): string {
  return `${nodeLabel(node)}-${net}.${NETCHECK_SERVICE}.${namespace}.svc.cluster.local`;
}

const labels = (component: 'server' | 'client', node: string, net: Net) => ({
  'app.kubernetes.io/name': 'netcheck',
  'app.kubernetes.io/component': component,
  'app.kubernetes.io/managed-by': 'cdk8s-mastodon',
  'netcheck.cdk8s-mastodon/node': nodeLabel(node),
  'netcheck.cdk8s-mastodon/net': net,
});

const container = (image: ImageSpec) => ({
  image: imageRef(image),
  imagePullPolicy: 'IfNotPresent',
  securityContext: {
    runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534,
    allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
  },
  // iperf3 backs each stream's buffer with a file from mkstemp in $TMPDIR (iperf_api.c, iperf_new_stream).
  env: [{ name: 'TMPDIR', value: '/tmp' }],
  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
});

function podSpec(node: string, net: Net, extra: Record<string, unknown>) {
  return {
    nodeSelector: { 'kubernetes.io/hostname': node },
    // Measure every node, tainted ones (a control plane, a Pi kept for Sidekiq) included.
    tolerations: [{ operator: 'Exists' }],
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(net === 'host' ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
    securityContext: {
      runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' },
      // Unprivileged ICMP echo for uid/gid 65534 in the pod's own network namespace (a safe,
      // namespaced sysctl). Host-network pods use the node's value, which systemd sets to
      // "0 2147483647"; where it does not, the script skips the probes and says so.
      ...(net === 'pod' ? { sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 2147483647' }] } : {}),
    },
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
    terminationGracePeriodSeconds: 5,
    ...extra,
  };
}

/** The whole netcheck set for a node inventory. */
export function netcheckManifests(o: NetcheckOptions): NetcheckSet {
  const ns = o.namespace ?? NETCHECK_NAMESPACE;
  const backend = o.backend ?? 'vxlan';
  const targetsPerClient = Math.max(1, (o.nodes.length - 1) * NETS.length);
  const clientDeadline = START_SLACK + targetsPerClient * secondsPerTarget(backend);
  const clientJobs: string[] = [];
  const serverDeadline = START_SLACK * 2 + o.nodes.length * NETS.length * (clientDeadline + 60);
  const namespace: Manifest = {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: {
      name: ns,
      labels: {
        'app.kubernetes.io/name': 'netcheck',
        // hostNetwork (for the node paths) is outside the baseline level; nothing here is privileged.
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/warn': 'baseline',
      },
      annotations: { 'cdk8s-mastodon/delete-after-use': `kubectl delete namespace ${ns}` },
    },
  };
  const service: Manifest = {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: NETCHECK_SERVICE, namespace: ns, labels: { 'app.kubernetes.io/name': 'netcheck' } },
    spec: {
      clusterIP: 'None',
      // DNS records from the moment a server pod has an address; the clients retry while it starts.
      publishNotReadyAddresses: true,
      selector: { 'app.kubernetes.io/name': 'netcheck', 'app.kubernetes.io/component': 'server' },
      ports: [
        { name: 'iperf3-tcp', port: IPERF_PORT, targetPort: IPERF_PORT, protocol: 'TCP' },
        { name: 'iperf3-udp', port: IPERF_PORT, targetPort: IPERF_PORT, protocol: 'UDP' },
      ],
    },
  };
  const servers: Manifest[] = [];
  const clients: Manifest[] = [];
  for (const node of o.nodes) {
    for (const net of NETS) {
      const name = `server-${nodeLabel(node)}-${net}`;
      servers.push({
        apiVersion: 'batch/v1', kind: 'Job',
        metadata: { name, namespace: ns, labels: labels('server', node, net) },
        spec: {
          // A server lives as long as the whole run, then the Job fails on its deadline and is removed.
          activeDeadlineSeconds: serverDeadline,
          ttlSecondsAfterFinished: 600,
          backoffLimit: 3,
          template: {
            metadata: { labels: labels('server', node, net) },
            spec: podSpec(node, net, {
              // <label>-<net>.netcheck.<ns>.svc resolves to this pod's address (the node's own in the
              // host network): the EndpointSlice controller sets an endpoint's hostname whenever
              // hostname is set and subdomain names the Service (kubernetes/kubernetes
              // pkg/controller/util/endpoint/controller_utils.go, ShouldSetHostname), host network or not.
              hostname: `${nodeLabel(node)}-${net}`,
              subdomain: NETCHECK_SERVICE,
              restartPolicy: 'OnFailure',
              containers: [{
                name: 'iperf3',
                ...container(o.image),
                command: serverCommand(IPERF_PORT),
                // Bound to the pod IP, the address the DNS name resolves to (the node's own in the host
                // network), not every host address: iperf3 binds its TCP and UDP listeners to -B
                // (esnet/iperf src/iperf_server_api.c, iperf_server_listen; src/iperf_udp.c, iperf_udp_accept).
                env: [...container(o.image).env, { name: SERVER_BIND_ENV, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
                ports: [{ name: 'iperf3', containerPort: IPERF_PORT, protocol: 'TCP' }, { name: 'iperf3-udp', containerPort: IPERF_PORT, protocol: 'UDP' }],
                readinessProbe: { tcpSocket: { port: IPERF_PORT }, periodSeconds: 5 },
                resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
              }],
            }),
          },
        },
      });
    }
  }
  for (const node of o.nodes) {
    for (const net of NETS) {
      const name = `client-${nodeLabel(node)}-${net}`;
      clientJobs.push(name);
      const targets = o.nodes.filter((n) => n !== node).flatMap((to) => NETS.map((tnet) => ({ to, net: tnet, address: serverHost(to, tnet, ns) })));
      const env = clientEnv({ from: node, net, targets, sizes: probeSizes(backend) });
      clients.push({
        apiVersion: 'batch/v1', kind: 'Job',
        metadata: { name, namespace: ns, labels: labels('client', node, net) },
        spec: {
          // run.sh resumes the Jobs one at a time.
          suspend: true,
          activeDeadlineSeconds: clientDeadline,
          ttlSecondsAfterFinished: CLIENT_TTL_SECONDS,
          // One try: a rerun would measure again, and its log replaces nothing.
          backoffLimit: 0,
          template: {
            metadata: { labels: labels('client', node, net) },
            spec: podSpec(node, net, {
              restartPolicy: 'Never',
              containers: [{
                name: 'measure',
                ...container(o.image),
                command: ['/bin/sh', '-c', CLIENT_SCRIPT],
                env: [{ name: 'TMPDIR', value: '/tmp' }, ...Object.entries(env).map(([k, value]) => ({ name: k, value }))],
                resources: { requests: { cpu: '100m', memory: '32Mi' }, limits: { memory: '128Mi' } },
              }],
            }),
          },
        },
      });
    }
  }
  return { files: { '00-namespace.yaml': [namespace, service], '10-servers.yaml': servers, '20-clients.yaml': clients }, clientJobs, clientDeadline, serverDeadline, namespace: ns };
}

/** run.sh: apply, run the client Jobs one at a time, collect their logs into results.jsonl. */
export function runScript(set: NetcheckSet): string {
  const ns = set.namespace;
  return `#!/bin/sh
# Generated by npm run netcheck. Runs the network check one measurement at a time and writes
# results.jsonl next to this file. Clean up afterwards with: kubectl delete namespace ${ns}
set -eu
cd "$(dirname "$0")"
kubectl apply -f 00-namespace.yaml
# An earlier run's Jobs stay for their ttlSecondsAfterFinished, and applying over them changes
# nothing: delete them (only netcheck's own, in its own namespace) and wait for their pods to go.
kubectl -n ${ns} delete jobs -l app.kubernetes.io/name=netcheck,app.kubernetes.io/managed-by=cdk8s-mastodon --ignore-not-found --cascade=foreground --wait=true
kubectl apply -f 10-servers.yaml -f 20-clients.yaml
echo "waiting for the iperf3 servers (one per node per network)..."
# kubectl wait -l fails with "no matching resources found" until the Job controller has made the pods.
tries=0
until [ "$(kubectl -n ${ns} get pods -l app.kubernetes.io/component=server -o name | wc -l)" -ge ${set.files["10-servers.yaml"].length} ]; do
  tries=$((tries + 1))
  [ "$tries" -le 60 ] || { echo "error: the server pods were not created within 300s (see: kubectl -n ${ns} get jobs,events; or, if an earlier run's Jobs still exist, delete them first: kubectl delete namespace ${ns})" >&2; exit 1; }
  sleep 5
done
kubectl -n ${ns} wait --for=condition=Ready pod -l app.kubernetes.io/component=server --timeout=300s
: > results.jsonl
for job in ${set.clientJobs.join(' ')}; do
  echo "measuring: $job"
  kubectl -n ${ns} patch job "$job" --type=merge -p '{"spec":{"suspend":false}}'
  kubectl -n ${ns} wait --for=condition=Complete --timeout=${set.clientDeadline + 60}s "job/$job" \\
    || echo "warning: $job did not complete (see: kubectl -n ${ns} describe job $job)" >&2
  kubectl -n ${ns} logs "job/$job" >> results.jsonl || echo "warning: no log from $job" >&2
done
echo "done: npm run netcheck -- report $(pwd)/results.jsonl"
echo "clean up: kubectl delete namespace ${ns}"
`;
}
