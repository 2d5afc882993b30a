/**
 * The operators the manifests need, with exact pinned install commands: one source for the
 * main README, the Helm chart's README and the README `cdk8s-mastodon init` writes. Pure data.
 *
 * Verified against the upstream repositories (fetched 2026-11-27; details and commits in
 * docs/operators.md):
 * - cloudnative-pg/charts tag cloudnative-pg-v0.29.0 (d1b5ad60): charts/cloudnative-pg/Chart.yaml
 *   version 0.29.0, appVersion 1.30.0, and values.yaml's image tag defaults to the appVersion, so
 *   the chart runs operator 1.30.0 (the CRDs in crds/cnpg come from 1.30.0).
 * - cloudnative-pg/plugin-barman-cloud tag v0.14.0 (1e13020f): Taskfile.yml builds manifest.yaml
 *   on the tag with the image ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0 and uploads it
 *   as the release asset manifest.yaml (the URL web/src/components/Installation links). The
 *   manifest.yaml committed in the tree names the -testing:main image: never apply that one. It
 *   puts everything in cnpg-system, needs cert-manager and CloudNativePG >= 1.26
 *   (web/docs/installation.mdx). The Helm chart plugin-barman-cloud 0.7.0 still carries v0.13.0.
 * - cert-manager/cert-manager tag v1.21.1 (24e33194), the newest stable tag: make/manifests.mk
 *   renders the static cert-manager.yaml (namespace cert-manager, release name cert-manager, so
 *   the webhook Deployment is cert-manager-webhook) into the release's deploy/manifests.
 * - kubernetes-csi/external-snapshotter tag v8.6.0 (78e32cd8): client/config/crd and
 *   deploy/kubernetes/snapshot-controller are kustomizations (the README installs them this
 *   way); the controller Deployment is in kube-system but its image at that tag is still
 *   snapshot-controller:v8.5.0 (master bumps it to v8.6.0 in 1d996efb), hence the set image.
 */

/**
 * The oldest Kubernetes minor the pinned CloudNativePG chart installs on: cloudnative-pg/charts
 * tag cloudnative-pg-v0.29.0, charts/cloudnative-pg/Chart.yaml `kubeVersion: ">=1.29.0-0"`, which
 * helm checks against the cluster before installing.
 */
export const CNPG_CHART_MIN_KUBERNETES_MINOR = 29;

/**
 * Why the pinned CloudNativePG install step cannot run on the given k3s release (`v1.M.P+k3sN`),
 * or undefined when it can (or the version is unknown).
 */
export function cnpgChartKubernetesProblem(k3sVersion: string | undefined): string | undefined {
  const minor = /^v1\.(\d+)\./.exec(k3sVersion ?? '')?.[1];
  if (minor === undefined || Number(minor) >= CNPG_CHART_MIN_KUBERNETES_MINOR) return undefined;
  return `k3s.version: ${k3sVersion} is Kubernetes 1.${minor}, but the CloudNativePG Helm chart 0.29.0 (operator 1.30.0) that database.mode cnpg needs requires Kubernetes >= 1.${CNPG_CHART_MIN_KUBERNETES_MINOR} (its Chart.yaml kubeVersion), so helm refuses the install step; upgrade k3s to v1.${CNPG_CHART_MIN_KUBERNETES_MINOR} or newer first`;
}

/** One operator: what it is for and the commands that install it, in order. */
export interface OperatorInstall {
  readonly name: string;
  readonly version: string;
  readonly why: string;
  readonly commands: readonly string[];
}

/**
 * The install steps, in the order they must run (cert-manager before the plugin, the
 * CloudNativePG operator before the plugin that joins its namespace; KEDA last, only with
 * `kedaNamespace`, which is `sidekiq.keda.operatorNamespace`). `cnpgNamespace` is
 * `network.cnpgOperatorNamespace`; the plugin's manifest is fixed to cnpg-system, so for another
 * namespace the step rewrites it on its way to kubectl.
 */
export function operatorInstalls(cnpgNamespace = 'cnpg-system', kedaNamespace?: string): OperatorInstall[] {
  const pluginManifest = 'https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml';
  // The release's manifest.yaml is kustomize output that writes `namespace: cnpg-system` on every
  // namespaced object and on the ClusterRoleBinding's subject (kubernetes/kustomization.yaml,
  // config/rbac/role_binding.yaml at v0.14.0); the operator only finds plugins in its own
  // namespace, so another namespace rewrites those lines on the way in.
  const pluginApply = cnpgNamespace === 'cnpg-system'
    ? [`kubectl apply -f ${pluginManifest}`]
    : [`# the manifest installs into cnpg-system: rewritten to ${cnpgNamespace}`, `curl -fsSL ${pluginManifest} | sed 's/namespace: cnpg-system$/namespace: ${cnpgNamespace}/' | kubectl apply -f -`];
  return [
    {
      name: 'cert-manager', version: 'v1.21.1', why: 'TLS between the CloudNativePG operator and the Barman Cloud plugin',
      commands: [
        'kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/v1.21.1/cert-manager.yaml',
        'kubectl -n cert-manager rollout status deployment/cert-manager-webhook',
        // cert-manager docs, "Verifying the Installation": the dry-run Certificate check also waits for the webhook's CA bundle.
        "# cmctl, cert-manager's CLI: waits until the webhook serves with its CA injected, which rollout status does not",
        'cmctl check api --wait=2m',
      ],
    },
    {
      name: 'CloudNativePG', version: '1.30.0 (Helm chart cloudnative-pg 0.29.0)', why: `Cluster, Pooler, ScheduledBackup (database.mode: cnpg); in ${cnpgNamespace}, where the network policies let it reach the instances (network.cnpgOperatorNamespace)`,
      commands: [
        `helm upgrade --install cnpg cloudnative-pg --repo https://cloudnative-pg.github.io/charts --version 0.29.0 --namespace ${cnpgNamespace} --create-namespace --wait`,
      ],
    },
    {
      name: 'Barman Cloud plugin', version: 'v0.14.0', why: 'ObjectStore, WAL archiving and base backups; must run in the operator\'s namespace',
      commands: [
        ...pluginApply,
        `kubectl -n ${cnpgNamespace} rollout status deployment/barman-cloud`,
      ],
    },
    {
      name: 'VolumeSnapshot CRDs and snapshot-controller', version: 'external-snapshotter v8.6.0', why: 'the weekly volume-snapshot backup (your CSI driver must support snapshots and have a VolumeSnapshotClass; k3s\' local-path does not)',
      commands: [
        'kubectl kustomize "https://github.com/kubernetes-csi/external-snapshotter/client/config/crd?ref=v8.6.0" | kubectl create -f -',
        'kubectl -n kube-system kustomize "https://github.com/kubernetes-csi/external-snapshotter/deploy/kubernetes/snapshot-controller?ref=v8.6.0" | kubectl create -f -',
        '# the v8.6.0 tag still deploys controller image v8.5.0: run the release the CRDs come from',
        'kubectl -n kube-system set image deployment/snapshot-controller snapshot-controller=registry.k8s.io/sig-storage/snapshot-controller:v8.6.0',
        'kubectl -n kube-system rollout status deployment/snapshot-controller',
      ],
    },
    // kedacore/charts tag v2.20.2: keda/Chart.yaml version and appVersion 2.20.2 (the release
    // crds/keda comes from); the chart installs its CRDs (values.yaml crds.install: true).
    ...(kedaNamespace === undefined ? [] : [{
      name: 'KEDA', version: '2.20.2 (Helm chart keda 2.20.2)', why: `ScaledObject, TriggerAuthentication (sidekiq.keda); in ${kedaNamespace}, where the network policies let it reach Redis (sidekiq.keda.operatorNamespace)`,
      commands: [
        `helm upgrade --install keda keda --repo https://kedacore.github.io/charts --version 2.20.2 --namespace ${kedaNamespace} --create-namespace --wait`,
      ],
    }]),
  ];
}

/** The steps as a Markdown list of shell blocks, for READMEs. */
export function operatorInstallMarkdown(cnpgNamespace = 'cnpg-system', kedaNamespace?: string): string {
  return operatorInstalls(cnpgNamespace, kedaNamespace).map((o, i) => `${i + 1}. **${o.name}** ${o.version}: ${o.why}.\n\n   \`\`\`sh\n${o.commands.map((c) => `   ${c}`).join('\n')}\n   \`\`\``).join('\n\n');
}
