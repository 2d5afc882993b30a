import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { Application } from '../imports/argocd-application-argoproj.io';
import { AppProject } from '../imports/argocd-appproject-argoproj.io';
import { standardLabels } from './conventions/labels';
import type { ResolvedConfig } from './model';

/** Props for {@link ArgoCdChart}. */
export interface ArgoCdChartProps extends ChartProps {
  /** The resolved configuration; its `argocd` section must be set. */
  readonly config: ResolvedConfig;
  /** The file Argo CD applies from `argocd.path`. @default 'mastodon.k8s.yaml' */
  readonly manifestFile?: string;
}

/** Argo CD sync options: server-side apply (the CNPG CRDs' objects are too big for the last-applied annotation), and the namespace made on first sync. */
export const ARGOCD_SYNC_OPTIONS = ['ServerSideApply=true', 'CreateNamespace=true'];

/**
 * The Argo CD Application and AppProject, applied once by hand. The Application points at the
 * Mastodon manifests only (`directory.include`), never at its own file or the Helm chart.
 */
export class ArgoCdChart extends Chart {
  public readonly application: Application;
  public readonly project: AppProject;

  constructor(scope: Construct, id: string, props: ArgoCdChartProps) {
    super(scope, id, { ...props, disableResourceNameHashes: true });
    const c = props.config;
    const a = c.argocd;
    if (!a) throw new Error('ArgoCdChart needs config.argocd');
    const labels = standardLabels({ instance: c.name, component: 'gitops', version: c.images.mastodon.tag });
    const projectName = a.project ?? c.name;
    this.project = new AppProject(this, 'Project', {
      metadata: { name: projectName, namespace: a.namespace, labels },
      spec: {
        description: `Mastodon ${c.domain}: only its repository, only its namespace.`,
        sourceRepos: [a.repoURL],
        destinations: [{ server: a.destinationServer, namespace: c.namespace }],
        // Cluster-scoped objects the app may create: its namespace and its PriorityClasses.
        clusterResourceWhitelist: [
          { group: '', kind: 'Namespace' },
          { group: 'scheduling.k8s.io', kind: 'PriorityClass' },
        ],
      },
    });
    this.application = new Application(this, 'Application', {
      metadata: { name: `${c.name}-mastodon`, namespace: a.namespace, labels },
      spec: {
        project: projectName,
        source: {
          repoUrl: a.repoURL,
          targetRevision: a.targetRevision,
          path: a.path,
          directory: { include: props.manifestFile ?? 'mastodon.k8s.yaml', recurse: false },
        },
        destination: { server: a.destinationServer, namespace: c.namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ARGOCD_SYNC_OPTIONS,
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
        },
      },
    });
  }
}
