/**
 * A MastodonEnvironment in a blank cdk8s Testing chart, from the smallest config: what
 * MastodonWeb and SidekiqQueue need beside them (the env ConfigMap, Secrets, images).
 */
import { Chart, Testing } from 'cdk8s';
import { resolveConfigOrThrow } from '../../lib/config/resolve';
import { MastodonEnvironment } from '../../lib/mastodon-environment';

/** The smallest config: required fields only, every other setting the default. */
export function tinyConfig(change: (c: any) => void = () => undefined): any {
  const c: any = {
    name: 'tiny', domain: 'tiny.example',
    mastodon: { secretName: 'tiny-keys' },
    nodes: { inventory: [
      { name: 'vm-1', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '8Gi' },
      { name: 'vm-2', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '8Gi' },
      { name: 'pi-1', pool: 'onprem', arch: 'arm64', cpu: '4', memory: '8Gi' },
    ] },
    sidekiq: { processes: [{ name: 'all', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'scheduler', 'fasp'] }] },
    database: { mode: 'external', host: 'db.example', passwordSecret: { name: 'tiny-db', key: 'password' } },
    redis: { mode: 'external', host: 'redis.example' },
    media: { s3: { bucket: 'tiny', endpoint: 'https://s3.example', credentialsSecret: { name: 'tiny-s3' } } },
    smtp: { server: 'smtp.example', fromAddress: 'tiny@tiny.example' },
  };
  change(c);
  return c;
}

/** A blank chart holding only the environment. */
export function environmentChart(change?: (c: any) => void): { chart: Chart; environment: MastodonEnvironment } {
  const chart = Testing.chart();
  const environment = new MastodonEnvironment(chart, 'env', { config: resolveConfigOrThrow(tinyConfig(change)) });
  return { chart, environment };
}
