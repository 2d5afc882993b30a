/**
 * A whole Mastodon server without a config file: Postgres, Redis, the environment every Mastodon
 * pod shares (the env ConfigMap, the Secret references, the images), the migrations, web,
 * streaming and Sidekiq serving every queue. MastodonChart does the same from a resolved config
 * (lib/chart.ts). Visitors reach web (`web.url`) and streaming (`streaming.url`, the path
 * /api/v1/streaming) through your ingress, or a CloudflareTunnel.
 *
 * Secrets it expects in the namespace (never in the manifests):
 * - `social-keys`: SECRET_KEY_BASE, OTP_SECRET, VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY,
 *   ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY, ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT and
 *   ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY. `npx cdk8s-mastodon secrets --name social-keys
 *   --namespace social | kubectl apply -f -` makes one with fresh values (or Mastodon's own
 *   `rails secret`, `rails mastodon:webpush:generate_vapid_key`, `rails db:encryption:init`).
 * - `media-s3` and `backup-s3`: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of the buckets.
 * The database password Secret is made by CloudNativePG (`postgres.connection`).
 */
import { App, Chart } from 'cdk8s';
import { MastodonEnvironment, MastodonStreaming, MastodonWeb, Migrations, PostgresCluster, Redis, SidekiqQueue } from 'cdk8s-mastodon';

const app = new App();
const chart = new Chart(app, 'social', { namespace: 'social', disableResourceNameHashes: true });
const postgres = new PostgresCluster(chart, 'Postgres', {
  instance: 'social',
  backup: { objectStore: { destinationPath: 's3://backups/social', endpointURL: 'https://s3.example.com', credentialsSecret: { name: 'backup-s3' } } },
});
// social-redis: the host the environment reaches by default.
new Redis(chart, 'Redis', { instance: 'social' });
const environment = new MastodonEnvironment(chart, 'Env', {
  instance: 'social',
  domain: 'social.example', // LOCAL_DOMAIN: part of every handle, it can never change
  secretName: 'social-keys',
  database: postgres.connection, // or externalConnection({ ... }) for an existing Postgres
  smtp: { server: 'smtp.example.com', fromAddress: 'Mastodon <notifications@social.example>' },
  media: { s3: { bucket: 'social-media', endpoint: 'https://s3.example.com', credentialsSecret: { name: 'media-s3' } } },
});
// Loads the schema on the first install and migrates on every upgrade: Helm or Argo CD hooks
// run `pre` before the new pods and `post` after them.
new Migrations(chart, 'Migrations', { environment });
new MastodonWeb(chart, 'Web', { environment });
new MastodonStreaming(chart, 'Streaming', { environment });
// Every Mastodon queue is served; the scheduler runs in exactly one pod.
new SidekiqQueue(chart, 'Sidekiq-default', { environment, name: 'default', queues: ['default', 'push', 'ingress', 'pull'] });
new SidekiqQueue(chart, 'Sidekiq-scheduler', { environment, name: 'scheduler', queues: ['scheduler', 'mailers', 'fasp'] });
app.synth();
