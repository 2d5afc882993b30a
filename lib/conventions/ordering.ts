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
 * `tootctl search deploy` (lib/search-deploy.ts): after the post-deploy migration, once every
 * workload and the in-cluster OpenSearch are healthy. Argo CD: a PostSync hook in a later wave
 * than the migration, and no delete policy: "Named hooks will only be created once"
 * (argoproj/argo-cd docs/user-guide/resource_hooks.md), so it runs once per Job name. Helm:
 * post-install and post-upgrade after the migration (weight 10); Helm runs hooks on every upgrade.
 */
export function searchDeployAnnotations(): Record<string, string> {
  return {
    'argocd.argoproj.io/hook': 'PostSync',
    'argocd.argoproj.io/sync-wave': '5',
    'helm.sh/hook': 'post-install,post-upgrade',
    'helm.sh/hook-weight': '10',
    'helm.sh/hook-delete-policy': 'before-hook-creation',
  };
}
