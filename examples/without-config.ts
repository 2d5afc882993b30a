/**
 * A Mastodon server without a config file: the environment holds what every Mastodon pod shares
 * (the env ConfigMap, the Secret references, the images, the PriorityClasses), and the workloads
 * are built on it. MastodonChart does the same from a resolved config (lib/chart.ts).
 */
import { App, Chart } from 'cdk8s';
import { MastodonEnvironment, MastodonWeb, PostgresCluster, SidekiqQueue } from 'cdk8s-mastodon';

const app = new App();
const chart = new Chart(app, 'social', { namespace: 'social', disableResourceNameHashes: true });
const postgres = new PostgresCluster(chart, 'Postgres', {
  instance: 'social',
  backup: { objectStore: { destinationPath: 's3://backups/social', endpointURL: 'https://s3.example.com', credentialsSecret: { name: 'backup-s3' } } },
});
const environment = new MastodonEnvironment(chart, 'Env', {
  instance: 'social',
  domain: 'social.example',
  secretName: 'social-keys', // npm run secrets makes one
  database: postgres.connection, // or externalConnection({ ... }) for an existing Postgres
  redis: { host: 'redis.example.com' }, // left out: <instance>-redis, a Redis of this instance
  smtp: { server: 'smtp.example.com', fromAddress: 'Mastodon <notifications@social.example>' },
  media: { s3: { bucket: 'social-media', endpoint: 'https://s3.example.com', credentialsSecret: { name: 'media-s3' } } },
});
new MastodonWeb(chart, 'Web', { environment });
new SidekiqQueue(chart, 'Sidekiq-default', { environment, name: 'default', queues: ['default', 'push', 'pull', 'ingress'] });
new SidekiqQueue(chart, 'Sidekiq-scheduler', { environment, name: 'scheduler', queues: ['scheduler', 'mailers', 'fasp'] });
app.synth();
