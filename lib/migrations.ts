import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { standardLabels } from './conventions/labels';
import { resourceName } from './rules/names';
import { postMigrateAnnotations, preMigrateAnnotations } from './conventions/ordering';
import type { MastodonPods } from './conventions/mastodon-pods';
import { MastodonEnvironment } from './mastodon-environment';
import { containerResources } from './conventions/workload';
import { MIGRATION_DB_POOL } from './rules/database';

/** Props for {@link Migrations}. */
export interface MigrationsProps {
  /** The shared Mastodon environment. Its DB_HOST must be the primary, never a pooler. */
  readonly environment: MastodonEnvironment;
}

/** The two migration steps. */
export type MigrationStep = 'pre' | 'post';

/**
 * Database migrations as two hook Jobs:
 *
 * - **pre** (`SKIP_POST_DEPLOYMENT_MIGRATIONS=true rails db:migrate:setup`) before the new
 *   workloads start. `db:migrate:setup` is Mastodon's task that loads the schema and seeds an
 *   empty database and runs `db:migrate` otherwise, so the first install works too.
 * - **post** (`rails db:migrate`) once every workload runs the new code.
 *
 * Both connect to the database host directly (PgBouncer in transaction mode breaks the
 * advisory locks migrations take). Their env is written inline, so they do not depend on the
 * env ConfigMap, which may not exist yet when a hook runs.
 */
export class Migrations extends Construct {
  public readonly pre: k8s.KubeJob;
  public readonly post: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    this.pre = this.job(props.environment.pods, 'pre');
    this.post = this.job(props.environment.pods, 'post');
  }

  private job(env: MastodonPods, step: MigrationStep): k8s.KubeJob {
    const c = env.settings;
    const identity = env.identity('migrate');
    const container = env.railsContainer({
      name: 'migrate',
      args: step === 'pre' ? ['bundle', 'exec', 'rails', 'db:migrate:setup'] : ['bundle', 'exec', 'rails', 'db:migrate'],
      env: {
        // Straight to the primary: PgBouncer in transaction mode breaks the advisory lock
        // migrations take, and prepared statements work there.
        DB_HOST: env.database.directHost,
        DB_POOL: String(MIGRATION_DB_POOL),
        ...(step === 'pre' ? { SKIP_POST_DEPLOYMENT_MIGRATIONS: 'true' } : {}),
      },
      envSource: 'inline',
      resources: containerResources(c.web.resources),
    });
    const name = resourceName(c.name, 'db-migrate', step);
    return new k8s.KubeJob(this, step === 'pre' ? 'Pre' : 'Post', {
      metadata: {
        name,
        labels: standardLabels(identity),
        annotations: step === 'pre' ? preMigrateAnnotations() : postMigrateAnnotations(),
      },
      spec: {
        // Exponential back-off (10 s … 320 s): about 10 minutes for a database made in the same sync to come up.
        backoffLimit: 6,
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
