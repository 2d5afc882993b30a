/**
 * A MastodonEnvironment in a blank cdk8s Testing chart, from its few props and no config: what
 * MastodonWeb and SidekiqQueue need beside them (the env ConfigMap, Secrets, images).
 */
import { Chart, Testing } from 'cdk8s';
import { MastodonEnvironment, MastodonEnvironmentProps } from '../../lib/mastodon-environment';
import { externalConnection } from '../../lib/rules/database';

/** An existing Postgres, as a library user names one. */
export const TINY_DATABASE = externalConnection({
  mode: 'external', host: 'db.example', port: 5432, name: 'mastodon', user: 'mastodon', pooled: false, sslMode: 'prefer',
  passwordSecret: { name: 'tiny-db', key: 'password' },
});

/** The required props only. */
export function tinyProps(change: Partial<MastodonEnvironmentProps> = {}): MastodonEnvironmentProps {
  return {
    instance: 'tiny',
    domain: 'tiny.example',
    secretName: 'tiny-keys',
    database: TINY_DATABASE,
    smtp: { server: 'smtp.example', fromAddress: 'tiny@tiny.example' },
    media: { s3: { bucket: 'tiny', endpoint: 'https://s3.example', credentialsSecret: { name: 'tiny-s3' } } },
    ...change,
  };
}

/** A blank chart holding only the environment. */
export function environmentChart(change?: Partial<MastodonEnvironmentProps>): { chart: Chart; environment: MastodonEnvironment } {
  const chart = Testing.chart();
  const environment = new MastodonEnvironment(chart, 'env', tinyProps(change));
  return { chart, environment };
}
