/**
 * Apply order under Argo CD (sync waves and hooks) and Helm (hooks), in one place.
 *
 * Order: config (ConfigMaps, Services, volumes) → data (Redis; the database later) →
 * data add-ons → pre-deploy migration → workloads → post-deploy migration.
 */

/** Argo CD sync waves, lowest first. Each wave must be healthy before the next starts. */
export const SyncWave = {
  secrets: -30,
  config: -20,
  data: -10,
  dataAddons: -5,
  preMigrate: 0,
  workloads: 10,
} as const;
export type SyncPhase = keyof typeof SyncWave;

/** Annotations for an ordinary object in a phase. */
export function waveAnnotations(phase: SyncPhase): Record<string, string> {
  return { 'argocd.argoproj.io/sync-wave': String(SyncWave[phase]) };
}

/**
 * The pre-deploy migration: an Argo CD Sync hook in its own wave (after the data, before the
 * workloads); under Helm it runs after install (the database may be created by this same
 * release) and before every upgrade.
 */
export function preMigrateAnnotations(): Record<string, string> {
  return {
    'argocd.argoproj.io/hook': 'Sync',
    'argocd.argoproj.io/sync-wave': String(SyncWave.preMigrate),
    'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    'helm.sh/hook': 'post-install,pre-upgrade',
    'helm.sh/hook-weight': '-5',
    'helm.sh/hook-delete-policy': 'before-hook-creation',
  };
}

/** The post-deploy migration: after every workload is healthy (Argo CD PostSync, Helm post-*). */
export function postMigrateAnnotations(): Record<string, string> {
  return {
    'argocd.argoproj.io/hook': 'PostSync',
    'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    'helm.sh/hook': 'post-install,post-upgrade',
    'helm.sh/hook-weight': '5',
    'helm.sh/hook-delete-policy': 'before-hook-creation',
  };
}

/**
 * `tootctl search deploy` (lib/search-deploy.ts) under Argo CD: a PostSync hook in a later wave
 * than the post-deploy migration, with the delete policy HookFailed. Argo CD reads Helm's
 * `helm.sh/hook-delete-policy` too and, with no policy at all, uses BeforeHookCreation
 * (argoproj/gitops-engine pkg/sync/hook/delete_policy.go, DeletePolicies()), which would delete
 * and re-create the Job, so re-import the database, on every sync. With HookFailed only, a
 * succeeded Job stays and "Named hooks will only be created once" (argoproj/argo-cd
 * docs/user-guide/resource_hooks.md): it runs once per Job name; a failed one is deleted and
 * runs again on the next sync. No `helm.sh/*` annotation here: see {@link helmOnlyAdditions}.
 */
export function searchDeployAnnotations(): Record<string, string> {
  return {
    'argocd.argoproj.io/hook': 'PostSync',
    'argocd.argoproj.io/sync-wave': '5',
    'argocd.argoproj.io/hook-delete-policy': 'HookFailed',
  };
}

/** The component label of the search deploy Job, which {@link helmOnlyAdditions} looks for. */
export const SEARCH_DEPLOY_COMPONENT = 'search-deploy';

/** How long Helm keeps a finished search deploy Job (a day: time to read its log). */
export const HELM_SEARCH_DEPLOY_TTL_SECONDS = 86400;

/** What the Helm chart rendering adds to an object that must carry no Helm annotation in dist/. */
export interface HelmAdditions {
  /** Annotations merged into metadata.annotations. */
  readonly annotations: Record<string, string>;
  /** spec.ttlSecondsAfterFinished of a Job. */
  readonly ttlSecondsAfterFinished?: number;
}

/**
 * The Helm-only hook annotations of an object, added by the Helm chart rendering
 * (cli/helm-chart.ts) and never written to dist/, where Argo CD would honour them. The search
 * deploy Job: post-install and post-upgrade after the migration (weight 10); Helm runs hooks on
 * every upgrade and deletes the previous one first (before-hook-creation), and a Job whose name
 * changed would stay, so a finished one is removed after a day (ttlSecondsAfterFinished).
 */
export function helmOnlyAdditions(o: { kind: string; metadata: { labels?: Record<string, string> } }): HelmAdditions | undefined {
  if (o.kind !== 'Job' || o.metadata.labels?.['app.kubernetes.io/component'] !== SEARCH_DEPLOY_COMPONENT) return undefined;
  return {
    annotations: {
      'helm.sh/hook': 'post-install,post-upgrade',
      'helm.sh/hook-weight': '10',
      'helm.sh/hook-delete-policy': 'before-hook-creation',
    },
    ttlSecondsAfterFinished: HELM_SEARCH_DEPLOY_TTL_SECONDS,
  };
}
