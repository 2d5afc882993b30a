/**
 * MediaCleanup beside a MastodonEnvironment in a blank cdk8s Chart: the two tootctl CronJobs.
 */
import { Testing } from 'cdk8s';
import { MediaCleanup, MediaCleanupProps } from '../../lib/media-cleanup';
import { TOOTCTL_DB_POOL } from '../../lib/rules/database';
import type { MastodonEnvironmentProps } from '../../lib/mastodon-environment';
import { find, podSpecOf } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';
import { environmentChart } from './mastodon-env';

function build(props: Partial<MediaCleanupProps> = {}, environmentProps?: Partial<MastodonEnvironmentProps>) {
  const { chart, environment } = environmentChart(environmentProps);
  const cleanup = new MediaCleanup(chart, 'cleanup', { environment, ...props });
  return { cleanup, objects: Testing.synth(chart) };
}
const containerOf = (o: any) => podSpecOf(o).containers[0];

describe('alone, with only the environment', () => {
  const { cleanup, objects } = build();
  const media = find(objects, 'CronJob', 'tiny-media-remove');
  const cards = find(objects, 'CronJob', 'tiny-preview-cards-remove');

  test('two CronJobs, <instance>-media-remove and -preview-cards-remove', () => {
    expect(objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name).sort()).toEqual(['tiny-media-remove', 'tiny-preview-cards-remove']);
    expect([cleanup.media.name, cleanup.previewCards.name]).toEqual(['tiny-media-remove', 'tiny-preview-cards-remove']);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('tootctl media and preview cards, never overlapping', () => {
    expect(containerOf(media).args).toEqual(['bin/tootctl', 'media', 'remove', '--days', '7']);
    expect(containerOf(cards).args).toEqual(['bin/tootctl', 'preview_cards', 'remove', '--days', '30']);
    for (const cj of [media, cards]) {
      expect(cj.spec.concurrencyPolicy).toBe('Forbid');
      expect(podSpecOf(cj).restartPolicy).toBe('Never');
    }
  });

  test('the config\'s default schedules, a small DB_POOL, tootctl-sized resources, no PriorityClass alone; not suspended', () => {
    expect([media.spec.schedule, cards.spec.schedule]).toEqual(['15 3 * * *', '45 3 * * 1']);
    for (const cj of [media, cards]) {
      const c = containerOf(cj);
      expect(c.env).toContainEqual({ name: 'DB_POOL', value: String(TOOTCTL_DB_POOL) });
      expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '1Gi' } });
      expect(podSpecOf(cj).priorityClassName).toBeUndefined();
      expect(cj.spec.suspend).toBeFalsy();
      expect(cj.spec.jobTemplate.spec.backoffLimit).toBe(1);
    }
  });
});

describe('props change what they should', () => {
  test('schedules and ages', () => {
    const { objects } = build({ cleanup: { media: { schedule: '0 2 * * *', days: 3 }, previewCards: { schedule: '0 1 * * 0', days: 90 } } });
    const media = find(objects, 'CronJob', 'tiny-media-remove');
    const cards = find(objects, 'CronJob', 'tiny-preview-cards-remove');
    expect([media.spec.schedule, containerOf(media).args.at(-1)]).toEqual(['0 2 * * *', '3']);
    expect([cards.spec.schedule, containerOf(cards).args.at(-1)]).toEqual(['0 1 * * 0', '90']);
  });
  test('the environment\'s workload defaults are the default', () => {
    const { objects } = build({}, { workloadDefaults: { cleanup: { media: { schedule: '15 3 * * *', days: 14 }, previewCards: { schedule: '45 3 * * 1', days: 30 } } } });
    expect(containerOf(find(objects, 'CronJob', 'tiny-media-remove')).args.at(-1)).toBe('14');
  });
  test('suspended while the workloads are stopped for maintenance: nothing writes to the database', () => {
    const { objects } = build({}, { stopWorkloads: true });
    for (const n of ['tiny-media-remove', 'tiny-preview-cards-remove']) expect(find(objects, 'CronJob', n).spec.suspend).toBe(true);
  });
});
