import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { standardLabels } from './conventions/labels';
import { SEARCH_DEPLOY_COMPONENT, searchDeployAnnotations } from './conventions/ordering';
import { containerResources } from './conventions/workload';
import { MastodonEnvironment } from './mastodon-environment';
import { countProblems, FieldProblem, memoryProblems, propsError, SIDEKIQ_FLOOR } from './rules/mastodon-checks';
import { searchDeployArgs, searchDeployDbPool, searchDeployName, SearchDeployOptions } from './rules/search';
import { SEARCH_DEFAULTS } from './model/defaults';
import type { ResourcesConfig } from './model';

/** Props for {@link SearchDeploy}: the config's `search.deploy` section as props, with its defaults. */
export interface SearchDeployProps {
  /** The shared Mastodon environment; it must have `search` set. */
  readonly environment: MastodonEnvironment;
  /** Worker threads (`--concurrency`); the Job's DB_POOL is this plus one. @default 5, tootctl's own */
  readonly concurrency?: number;
  /** Records per batch (`--batch-size`). @default 100, tootctl's own */
  readonly batchSize?: number;
  /** `--reset-chewy`: rebuild every index. @default false */
  readonly resetChewy?: boolean;
  /** `--only`: these indices only. @default every index */
  readonly only?: readonly ('instances' | 'accounts' | 'tags' | 'statuses' | 'public_statuses')[];
  /** `--only-mapping`: update the changed index specifications without re-importing. @default false */
  readonly onlyMapping?: boolean;
  /** Change it to run the Job again. @default none: it runs when first added and after an upgrade across a release whose notes ask for a search deploy */
  readonly reindexToken?: string;
  /** activeDeadlineSeconds: the Job stops after this, retries included. @default 21600 (6 hours) */
  readonly timeoutSeconds?: number;
  /** Requests and memory limit of the tootctl pod. @default requests 250m / 768Mi, limit 1536Mi */
  readonly resources?: ResourcesConfig;
}

/**
 * `tootctl search deploy` as a hook Job (lib/mastodon/cli/search.rb, Mastodon v4.x): creates the
 * indices, rebuilds those whose specification changed, and imports the database into them. It
 * runs after the post-deploy migration, once the search server is up (conventions/ordering.ts),
 * and its name carries a hash of the search epoch (rules/search.ts searchDeployName), the reindex
 * token and the arguments, so under Argo CD it runs when search is first enabled, after an upgrade
 * whose notes ask for it, and when the token or an option changes. A failed attempt (the server still starting) is retried with back-off; the whole Job
 * is bounded by `timeoutSeconds`.
 */
export class SearchDeploy extends Construct {
  public readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: SearchDeployProps) {
    super(scope, id);
    const env = props.environment.pods;
    const c = env.settings;
    const d = SEARCH_DEFAULTS.deploy;
    const o: SearchDeployOptions = {
      concurrency: props.concurrency ?? d.concurrency,
      batchSize: props.batchSize ?? d.batchSize,
      resetChewy: props.resetChewy ?? false,
      onlyMapping: props.onlyMapping ?? false,
      ...(props.only ? { only: props.only } : {}),
      ...(props.reindexToken ? { reindexToken: props.reindexToken } : {}),
    };
    const resources = props.resources ?? d.resources;
    const timeoutSeconds = props.timeoutSeconds ?? d.timeoutSeconds;
    const problems: FieldProblem[] = [
      ...(c.search ? [] : [{ path: 'environment', message: 'has no search endpoint: set MastodonEnvironment\'s search prop (an OpenSearch construct\'s endpoint, or your server\'s)' }]),
      ...countProblems('concurrency', o.concurrency, { min: 1, max: 32 }),
      ...countProblems('batchSize', o.batchSize, { min: 1, max: 10000 }),
      ...countProblems('timeoutSeconds', timeoutSeconds, { min: 600 }),
      // A Rails process with Mastodon loaded, as a Sidekiq one.
      ...memoryProblems('resources', resources, SIDEKIQ_FLOOR),
    ];
    if (problems.length > 0) throw propsError(`SearchDeploy ${c.name}`, problems);
    const identity = env.identity(SEARCH_DEPLOY_COMPONENT);
    const name = searchDeployName(c.name, c.images.mastodon.tag, o);
    const container = env.railsContainer({
      name: 'search-deploy',
      args: searchDeployArgs(o),
      env: { DB_POOL: String(searchDeployDbPool(o)) },
      // Inline: a hook may run before the env ConfigMap of this sync exists.
      envSource: 'inline',
      resources: containerResources(resources),
    });
    this.job = new k8s.KubeJob(this, 'Job', {
      metadata: { name, labels: standardLabels(identity), annotations: searchDeployAnnotations() },
      spec: {
        // Exponential back-off (10 s … 320 s): about 10 minutes for a search server made in the same sync to come up.
        backoffLimit: 6,
        activeDeadlineSeconds: timeoutSeconds,
        template: {
          metadata: { labels: standardLabels(identity) },
          spec: env.jobPodSpec(name, {
            containers: [container],
            restartPolicy: 'Never',
            priority: 'workers',
            placement: { pool: c.web.pool, architectures: c.images.mastodon.architectures },
          }),
        },
      },
    });
  }
}
