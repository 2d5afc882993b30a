import type { MastodonConfigInput } from '../lib';

/** A large config: 30 nodes (20 amd64 cloud, 10 arm64 on-prem) and 100 Sidekiq processes of 2 threads (within the threads-per-pooler-connection rule). */
export function largeConfig(): MastodonConfigInput {
  const inventory = Array.from({ length: 30 }, (_, i) => i < 20
    ? { name: `cloud-${i}`, pool: 'cloud', arch: 'amd64' as const, cpu: '8', memory: '32Gi', role: i < 3 ? 'server' as const : 'agent' as const }
    : { name: `pi-${i}`, pool: 'onprem', arch: 'arm64' as const, cpu: '4', memory: '8Gi', role: 'agent' as const });
  return {
    name: 'big', domain: 'big.example.social', mastodon: { secretName: 'big-keys' },
    nodes: { inventory },
    web: { replicas: 6 }, streaming: { replicas: 4 },
    sidekiq: {
      processes: Array.from({ length: 100 }, (_, i) => ({
        name: `p${i}`, replicas: i === 0 ? 1 : 2, pool: i % 2 ? 'onprem' : 'cloud', fallbackPool: i % 2 ? 'cloud' : undefined, concurrency: 2,
      })),
    },
    database: {
      mode: 'cnpg', instances: 3,
      pooler: { defaultPoolSize: 80 },
      backup: { objectStore: { destinationPath: 's3://big-backups/postgres', endpointURL: 'https://s3.example.com', credentialsSecret: { name: 'big-backup-s3' } } },
    },
    media: { s3: { bucket: 'big', endpoint: 'https://s3.example.com', credentialsSecret: { name: 'big-s3' } } },
    smtp: { server: 'smtp.example.com', fromAddress: 'big@example.social' },
  };
}
