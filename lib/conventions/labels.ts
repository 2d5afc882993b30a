/**
 * Standard labels (app.kubernetes.io/*) for every object and pod template, and the stable
 * subset used as selectors. Selectors never carry the version: it changes on upgrade, and a
 * Deployment's selector cannot.
 */

import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { renderedVersion, VERSION_ANNOTATION } from '../rules/upgrade-notes';

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
export { VERSION_ANNOTATION, renderedVersion };

/**
 * Annotates every API object under `scope` (an App or a chart) with the library version that
 * renders it, on the object's own metadata. Pod templates are fields of their workload, not API
 * objects, so they stay untouched and a version bump alone rolls no pod.
 */
export function annotateRenderedVersion(scope: IConstruct, version: string): void {
  for (const c of scope.node.findAll()) {
    if (ApiObject.isApiObject(c)) c.metadata.addAnnotation(VERSION_ANNOTATION, version);
  }
}
