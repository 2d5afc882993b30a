/**
 * PostgresCluster and CloudflareTunnel in an app that is not Mastodon: a few props, and what is
 * left out gets the config's defaults (lib/model/defaults.ts), but for placement: with no pool
 * or arch given, they run on any node their multi-arch images support.
 */
import { App, Chart } from 'cdk8s';
import { CloudflareTunnel, PostgresCluster } from 'cdk8s-mastodon';

const app = new App();
const chart = new Chart(app, 'apps', { namespace: 'apps', disableResourceNameHashes: true });
const db = new PostgresCluster(chart, 'Postgres', {
  instance: 'apps', namespace: 'apps', instances: 2,
  backup: { objectStore: { destinationPath: 's3://backups/apps', endpointURL: 'https://s3.example.com', credentialsSecret: { name: 'backup-s3' } } },
});
new CloudflareTunnel(chart, 'Tunnel', {
  instance: 'apps',
  tunnel: {
    mode: 'local', tunnelId: '6ff42ae2-765d-4adf-8112-31c55c1551ef', credentialsSecret: { name: 'apps-tunnel', key: 'credentials.json' },
    // First match wins; the last rule catches everything else.
    ingress: [{ hostname: 'apps.example.com', service: 'http://apps-web:3000' }, { service: 'http_status:404' }],
  },
});
console.log(db.poolerService, db.appSecret.name); // apps-db-pooler apps-db-app
app.synth();
