/**
 * How long a Kubernetes Job may keep retrying, and the `helm --timeout` that waits for it.
 * Pure: no cdk8s imports.
 *
 * Kubernetes' Job documentation ("Pod backoff failure policy") says the controller recreates a
 * failed pod after an exponential back-off of 10 s, 20 s, 40 s ... capped at six minutes, until
 * `backoffLimit` retries have failed; `activeDeadlineSeconds`, when set, ends the Job whatever
 * the retries. Helm waits up to `--timeout` (default 5m) for each hook Job to complete, and
 * reports the release as failed when it does not.
 */
/** The part of a rendered object this reads. */
export interface RenderedObject { readonly kind: string; readonly metadata: { readonly name: string }; readonly spec?: any }

/** The first back-off and its cap, in seconds. */
const BACKOFF_FIRST = 10;
const BACKOFF_CAP = 360;
/** What one migration attempt is assumed to take at most, for the advice. */
export const MIGRATION_ATTEMPT_SECONDS = 300;

export interface RetryWindow {
  /** Pod runs: the first one plus backoffLimit retries. */
  readonly attempts: number;
  /** The sum of the back-off delays between them. */
  readonly backoffSeconds: number;
  /** The longest the Job can run before it completes or fails. */
  readonly seconds: number;
}

/** The retry window of a Job whose every attempt runs `attemptSeconds`. */
export function jobRetryWindow(spec: { readonly backoffLimit?: number; readonly activeDeadlineSeconds?: number }, attemptSeconds: number): RetryWindow {
  const retries = spec.backoffLimit ?? 6;
  let backoffSeconds = 0;
  for (let i = 0; i < retries; i++) backoffSeconds += Math.min(BACKOFF_FIRST * 2 ** i, BACKOFF_CAP);
  const attempts = retries + 1;
  const unbounded = backoffSeconds + attempts * attemptSeconds;
  const seconds = spec.activeDeadlineSeconds !== undefined ? Math.min(spec.activeDeadlineSeconds, unbounded) : unbounded;
  return { attempts, backoffSeconds, seconds };
}

/**
 * The `--timeout` for helm install/upgrade that outlasts the longest hook Job Helm waits for (the
 * migrations, and the search index Job while search is on), from the rendered objects.
 */
export function helmTimeoutAdvice(objects: readonly RenderedObject[], attemptSeconds = MIGRATION_ATTEMPT_SECONDS): { timeout: string; seconds: number; text: string } {
  const jobs = objects.filter((o) => o.kind === 'Job' && /db-migrate|search-deploy/.test(o.metadata.name));
  let worst: { name: string; backoffLimit: number; deadline?: number; w: RetryWindow } | undefined;
  for (const j of jobs) {
    // Indexing a large server takes hours: one attempt may use the whole deadline.
    const search = /search-deploy/.test(j.metadata.name) && j.spec.activeDeadlineSeconds !== undefined;
    const w = jobRetryWindow(j.spec, search ? j.spec.activeDeadlineSeconds : attemptSeconds);
    if (!worst || w.seconds > worst.w.seconds) worst = { name: j.metadata.name, backoffLimit: j.spec.backoffLimit ?? 6, deadline: j.spec.activeDeadlineSeconds, w };
  }
  if (!worst) return { timeout: '5m', seconds: 300, text: 'no migration Job is rendered; Helm\'s default --timeout 5m is enough' };
  const minutes = Math.ceil(worst.w.seconds / 60 / 5) * 5;
  const text = `The ${/search-deploy/.test(worst.name) ? 'search index' : 'migration'} Job ${worst.name} has backoffLimit ${worst.backoffLimit}${worst.deadline !== undefined ? ` and activeDeadlineSeconds ${worst.deadline}` : ' and no activeDeadlineSeconds'}: `
    + `${worst.w.attempts} attempts with ${worst.w.backoffSeconds} s of back-off between them (Kubernetes doubles it from 10 s, capped at 6 min)`
    + `${worst.deadline !== undefined ? '' : `, plus ${worst.w.attempts} × ${attemptSeconds / 60} min if each attempt runs ${attemptSeconds / 60} minutes`}, `
    + `${worst.w.seconds} s in all. Helm waits --timeout (default 5m) for each hook Job, so pass --timeout ${minutes}m.`;
  return { timeout: `${minutes}m`, seconds: worst.w.seconds, text };
}
