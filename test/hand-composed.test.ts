/**
 * A chart composed by hand (as in the README) holds every PriorityClass its pods name: a pod
 * whose priorityClassName does not exist is rejected by the API server.
 */
import { App, Chart } from 'cdk8s';
import { MastodonEnvironment, MastodonWeb, PostgresCluster, PriorityClasses, SidekiqQueue } from '../lib';
import { Manifest } from '../lib/render';
import { podSpecOf, resolved, WORKLOAD_KINDS } from './support/fixtures';

function classesReferenced(objects: Manifest[]): string[] {
  const names = new Set<string>();
  for (const o of objects) {
    if (WORKLOAD_KINDS.includes(o.kind) && podSpecOf(o).priorityClassName) names.add(podSpecOf(o).priorityClassName);
    if (o.kind === 'Cluster' && o.spec.priorityClassName) names.add(o.spec.priorityClassName);
    if (o.kind === 'Pooler' && o.spec.template?.spec?.priorityClassName) names.add(o.spec.template.spec.priorityClassName);
  }
  return [...names].sort();
}
const classesMade = (objects: Manifest[]) => objects.filter((o) => o.kind === 'PriorityClass').map((o) => o.metadata.name).sort();

test('an environment composed without PriorityClasses creates the ones its pods use', () => {
  const config = resolved();
  const chart = new Chart(new App(), 'social', { namespace: config.namespace, disableResourceNameHashes: true });
  const environment = new MastodonEnvironment(chart, 'Env', { config });
  new MastodonWeb(chart, 'Web', { environment });
  for (const p of config.sidekiq.processes) new SidekiqQueue(chart, `Sidekiq-${p.name}`, { environment, process: p });
  const objects = chart.toJson() as Manifest[];
  expect(classesReferenced(objects)).toEqual(['ocw-frontend', 'ocw-workers']);
  for (const name of classesReferenced(objects)) expect(classesMade(objects)).toContain(name);
  expect(environment.priorityClasses.classes.frontend.name).toBe('ocw-frontend');
});

test('given PriorityClasses (shared with Postgres), the environment uses them and makes no second set', () => {
  const config = resolved();
  if (config.database.mode !== 'cnpg' || !config.postgres) throw new Error('the example uses cnpg');
  const chart = new Chart(new App(), 'social', { namespace: config.namespace, disableResourceNameHashes: true });
  const priority = new PriorityClasses(chart, 'Priority', { instance: config.name, version: config.images.mastodon.tag });
  const postgres = new PostgresCluster(chart, 'Postgres', {
    instance: config.name, database: config.database, resolved: config.postgres,
    poolLabel: config.nodes.poolLabel, kubectlImage: config.images.kubectl,
    priorityClassNames: { frontend: priority.classes.frontend.name, workers: priority.classes.workers.name },
  });
  const environment = new MastodonEnvironment(chart, 'Env', { config, database: postgres.connection, priorityClasses: priority });
  new MastodonWeb(chart, 'Web', { environment });
  const objects = chart.toJson() as Manifest[];
  expect(classesMade(objects)).toEqual(['ocw-data', 'ocw-frontend', 'ocw-workers']);
  for (const name of classesReferenced(objects)) expect(classesMade(objects)).toContain(name);
});

test('a second environment in the same chart reuses the PriorityClasses already there', () => {
  const config = resolved();
  const chart = new Chart(new App(), 'social', { namespace: config.namespace, disableResourceNameHashes: true });
  new PriorityClasses(chart, 'Priority', { instance: config.name, version: config.images.mastodon.tag });
  new MastodonEnvironment(chart, 'Env', { config });
  expect(classesMade(chart.toJson() as Manifest[])).toEqual(['ocw-data', 'ocw-frontend', 'ocw-workers']);
});
