/**
 * The operators the manifests need, with exact pinned install commands: one source for the
 * main README, the Helm chart's README and the README `cdk8s-mastodon init` writes. Pure data.
 *
 * Verified against the upstream repositories (fetched):
 * - cloudnative-pg/charts: charts/cloudnative-pg/Chart.yaml version 0.29.0 has appVersion 1.30.0
 *   (the CRDs in crds/cnpg come from 1.30.0).
 * - cloudnative-pg/plugin-barman-cloud v0.14.0: web/docs/installation.mdx says the plugin must be
 *   installed in the operator's namespace and needs cert-manager; its manifest.yaml (the release
 *   asset the docs' InstallationSnippet links) puts everything in cnpg-system. The Helm chart
 *   plugin-barman-cloud 0.7.0 still carries v0.13.0, so the manifest is the pinned way.
 * - cert-manager/cert-manager: v1.21.1 is the newest stable tag; its release carries
 *   cert-manager.yaml.
 * - kubernetes-csi/external-snapshotter v8.6.0: client/config/crd (VolumeSnapshot CRDs) and
 *   deploy/kubernetes/snapshot-controller (kube-system) kustomizations, as its README installs them.
 */

/** One operator: what it is for and the commands that install it, in order. */
export interface OperatorInstall {
  readonly name: string;
  readonly version: string;
  readonly why: string;
  readonly commands: readonly string[];
}

/**
 * The install steps, in the order they must run (cert-manager before the plugin, the
 * CloudNativePG operator before the plugin that joins its namespace). `cnpgNamespace` is
 * `network.cnpgOperatorNamespace`; the plugin's manifest is fixed to cnpg-system, so another
 * namespace needs the manifest edited (said in the step).
 */
export function operatorInstalls(cnpgNamespace = 'cnpg-system'): OperatorInstall[] {
  const pluginNote = cnpgNamespace === 'cnpg-system' ? [] : [`# the manifest installs into cnpg-system: replace it with ${cnpgNamespace} before applying`];
  return [
    {
      name: 'cert-manager', version: 'v1.21.1', why: 'TLS between the CloudNativePG operator and the Barman Cloud plugin',
      commands: [
        'kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/v1.21.1/cert-manager.yaml',
        'kubectl -n cert-manager rollout status deployment/cert-manager-webhook',
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
        ...pluginNote,
        'kubectl apply -f https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml',
        `kubectl -n ${cnpgNamespace} rollout status deployment/barman-cloud`,
      ],
    },
    {
      name: 'VolumeSnapshot CRDs and snapshot-controller', version: 'external-snapshotter v8.6.0', why: 'the weekly volume-snapshot backup (your CSI driver must support snapshots and have a VolumeSnapshotClass; k3s\' local-path does not)',
      commands: [
        'kubectl kustomize "https://github.com/kubernetes-csi/external-snapshotter/client/config/crd?ref=v8.6.0" | kubectl create -f -',
        'kubectl -n kube-system kustomize "https://github.com/kubernetes-csi/external-snapshotter/deploy/kubernetes/snapshot-controller?ref=v8.6.0" | kubectl create -f -',
      ],
    },
  ];
}

/** The steps as a Markdown list of shell blocks, for READMEs. */
export function operatorInstallMarkdown(cnpgNamespace = 'cnpg-system'): string {
  return operatorInstalls(cnpgNamespace).map((o, i) => `${i + 1}. **${o.name}** ${o.version}: ${o.why}.\n\n   \`\`\`sh\n${o.commands.map((c) => `   ${c}`).join('\n')}\n   \`\`\``).join('\n\n');
}
