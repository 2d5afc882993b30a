/**
 * Standard labels (app.kubernetes.io/*) for every object and pod template, and the stable
 * subset used as selectors. Selectors never carry the version: it changes on upgrade, and a
 * Deployment's selector cannot.
 */

/** Who an object belongs to. */
export interface Identity {
  /** The instance name from the config, e.g. `ocw`. */
  readonly instance: string;
  /** `web`, `streaming`, `sidekiq`, `redis`, `migrate`, `cleanup`, ... */
  readonly component: string;
  /** The version of what runs: the Mastodon tag, or the image tag for others. */
  readonly version: string;
  /** For Sidekiq: the process group name. */
  readonly process?: string;
}

/** The label that tells Sidekiq process groups apart. */
export const SIDEKIQ_PROCESS_LABEL = 'cdk8s-mastodon/sidekiq-process';

/** Labels whose values never change for the life of a workload: use as selectors. */
export function selectorLabels(id: Identity): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'mastodon',
    'app.kubernetes.io/instance': id.instance,
    'app.kubernetes.io/component': id.component,
    ...(id.process ? { [SIDEKIQ_PROCESS_LABEL]: id.process } : {}),
  };
}

/** Every standard label, for metadata and pod templates. */
export function standardLabels(id: Identity): Record<string, string> {
  return {
    ...selectorLabels(id),
    'app.kubernetes.io/part-of': 'mastodon',
    'app.kubernetes.io/managed-by': 'cdk8s-mastodon',
    'app.kubernetes.io/version': id.version,
  };
}

// The version annotation lives with the pure rules (lib/rules/upgrade-notes.ts) so the change
// guard can read it from lib/rules too; it is re-exported here beside the other metadata keys.
export { VERSION_ANNOTATION, renderedVersion } from '../rules/upgrade-notes';
