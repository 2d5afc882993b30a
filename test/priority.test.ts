import { PRIORITY_TIERS } from '../lib';
import { find, podSpecOf, render, WORKLOAD_KINDS } from './support/fixtures';

const objects = render();
const classOf = (kind: string, name: string) => {
  const o = find(objects, kind, name);
  return kind === 'Cluster' ? o.spec.priorityClassName : kind === 'Pooler' ? o.spec.template.spec.priorityClassName : podSpecOf(o).priorityClassName;
};
const value = (cls: string) => find(objects, 'PriorityClass', cls).value;

describe('priorities: when memory runs short, Sidekiq goes first', () => {
  test('three cluster-wide classes, frontend > data > workers; workers never preempt', () => {
    expect(value('ocw-frontend')).toBeGreaterThan(value('ocw-data'));
    expect(value('ocw-data')).toBeGreaterThan(value('ocw-workers'));
    expect(find(objects, 'PriorityClass', 'ocw-workers').preemptionPolicy).toBe('Never');
    expect(find(objects, 'PriorityClass', 'ocw-frontend').globalDefault).toBe(false);
    expect(Object.keys(PRIORITY_TIERS)).toEqual(['frontend', 'data', 'workers']);
  });
  test.each([
    ['Deployment', 'ocw-web', 'ocw-frontend'], ['Deployment', 'ocw-streaming', 'ocw-frontend'], ['Deployment', 'ocw-tunnel', 'ocw-frontend'],
    ['Cluster', 'ocw-db', 'ocw-frontend'], ['Pooler', 'ocw-db-pooler', 'ocw-frontend'],
    ['StatefulSet', 'ocw-redis', 'ocw-data'],
    ['Deployment', 'ocw-sidekiq-default', 'ocw-workers'], ['Deployment', 'ocw-sidekiq-push', 'ocw-workers'],
    ['Job', 'ocw-db-migrate-pre', 'ocw-workers'], ['CronJob', 'ocw-media-remove', 'ocw-workers'], ['CronJob', 'ocw-db-amcheck', 'ocw-workers'],
  ])('%s/%s runs at %s', (kind, name, cls) => {
    expect(classOf(kind, name)).toBe(cls);
  });
  test('every pod this chart makes has a class', () => {
    for (const w of objects.filter((o) => WORKLOAD_KINDS.includes(o.kind))) {
      expect([w.metadata.name, podSpecOf(w).priorityClassName]).toEqual([w.metadata.name, expect.stringMatching(/^ocw-(frontend|data|workers)$/)]);
    }
  });
});
