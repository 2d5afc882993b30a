/**
 * Priority tiers. When memory runs short, Kubernetes sacrifices the lowest tier first: the
 * scheduler preempts lower-priority pods to place higher ones (a lost node's web pods push
 * Sidekiq aside), and the kubelet's node-pressure eviction ranks pods that use more than they
 * requested by priority. So the frontend and the database outlive Redis, and Redis outlives
 * Sidekiq.
 */

/** The tiers, highest first. */
export type PriorityTier = 'frontend' | 'data' | 'workers';

/** Value, whether the tier may preempt, and what it is for. */
export const PRIORITY_TIERS: Record<PriorityTier, { readonly value: number; readonly preempts: boolean; readonly description: string }> = {
  frontend: { value: 100_000, preempts: true, description: 'Mastodon web, streaming, the tunnel, the maintenance page, Postgres and its pooler: what visitors need.' },
  data: { value: 50_000, preempts: true, description: 'Redis: queues and caches; losing it stalls everything, but it restarts from its AOF.' },
  workers: { value: 10_000, preempts: false, description: 'Sidekiq, migrations and maintenance jobs: first to go when memory runs short; they catch up later and never preempt.' },
};

/** `<instance>-<tier>`: PriorityClasses are cluster-wide, so the instance name keeps them apart. */
export function priorityClassName(instance: string, tier: PriorityTier): string {
  return `${instance}-${tier}`;
}
