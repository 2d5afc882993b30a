/**
 * Defect 7: a restarted Sidekiq container must not be ready before Sidekiq has started again,
 * and its liveness probe must be able to fail (or be absent). The behaviour of the rendered
 * shell line is run for real in test/integration/sidekiq.itest.ts.
 */
import { SIDEKIQ_READY_FILE, SIDEKIQ_READY_FILENAME } from '../lib';
import { find, podSpecOf, render } from './support/fixtures';

const objects = render();
const sidekiqs = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('ocw-sidekiq-'));
const containerOf = (o: any) => podSpecOf(o).containers[0];

test('three Sidekiq Deployments are rendered', () => {
  expect(sidekiqs.map((o) => o.metadata.name).sort()).toEqual(['ocw-sidekiq-default', 'ocw-sidekiq-pull', 'ocw-sidekiq-push']);
});

describe.each(sidekiqs.map((o) => [o.metadata.name, o] as const))('%s', (_name, d) => {
  const c = containerOf(d);
  test('removes a stale ready file, then execs Sidekiq under the image entrypoint', () => {
    expect(c.command).toBeUndefined();
    expect(c.args.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.args).toHaveLength(3);
    expect(c.args[2]).toMatch(new RegExp(`^rm -f tmp/${SIDEKIQ_READY_FILENAME}; exec bundle exec sidekiq -c \\d+ -t 25( -q [a-z]+)+$`));
    // The relative path is only right in Rails.root, so the working directory is stated.
    expect(c.workingDir).toBe('/opt/mastodon');
  });
  test('Mastodon is told the file name the probes look for', () => {
    expect(c.env).toContainEqual({ name: 'MASTODON_SIDEKIQ_READY_FILENAME', value: SIDEKIQ_READY_FILENAME });
    expect(SIDEKIQ_READY_FILE).toBe(`/opt/mastodon/tmp/${SIDEKIQ_READY_FILENAME}`);
    expect(c.readinessProbe.exec.command).toEqual(['test', '-f', SIDEKIQ_READY_FILE]);
    expect(c.startupProbe.exec.command).toEqual(['test', '-f', SIDEKIQ_READY_FILE]);
  });
  test('no liveness probe on the ready file (it exists from start to shutdown, so it can never fail)', () => {
    expect(c.livenessProbe).toBeUndefined();
  });
});

test('the scheduler process leads with scheduler', () => {
  const line = containerOf(find(objects, 'Deployment', 'ocw-sidekiq-default')).args[2];
  expect(line).toMatch(/exec bundle exec sidekiq -c 10 -t 25 -q scheduler -q mailers -q default -q ingress -q push -q pull -q fasp$/);
});
