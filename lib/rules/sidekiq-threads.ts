/**
 * How many Sidekiq threads a process's memory and the poolers' server connections carry.
 * Pure: no cdk8s imports. docs/sidekiq-threads.md explains the figures.
 */
import type { ResourcesConfig } from '../model';
import { formatMemory, humanMemory, parseMemory } from './quantity';
import { SIDEKIQ_MEMORY_FLOOR } from './mastodon-checks';
import type { FieldProblem } from './mastodon-checks';

/** The threads the Sidekiq memory floor was set for (docs/memory.md: "ten threads at work"). */
export const SIDEKIQ_FLOOR_THREADS = 10;
/**
 * Memory per Sidekiq thread: the floor spread over the threads it was set for. A thread holds its
 * job's objects (a fetched ActivityPub document, a status and its relations, a media file being
 * processed), so a process with more threads at work needs proportionally more.
 */
export const SIDEKIQ_MEMORY_PER_THREAD = SIDEKIQ_MEMORY_FLOOR / SIDEKIQ_FLOOR_THREADS;
/**
 * Sidekiq threads per pooler server connection: above `warn` a warning, above `refuse` the config
 * is refused. Every thread needs a database connection for each query (Mastodon's
 * docs admin/scaling.md: "each thread requires a database connection", DB_POOL at least the
 * threads); behind PgBouncer in transaction mode a thread holds a server connection only during a
 * transaction, and waits in PgBouncer's queue for one otherwise. A client waiting longer than
 * query_wait_timeout (120 s by default, pgbouncer.ini docs) is disconnected with an error.
 */
export const THREADS_PER_SERVER_CONNECTION = { warn: 2, refuse: 4 } as const;

/** One Sidekiq process group as the rule needs it. */
export interface SidekiqThreadsProcess {
  readonly name: string;
  readonly replicas: number;
  /** A scalable group's maximum (KEDA or catchUp): it counts at its maximum. */
  readonly maxReplicas?: number;
  readonly concurrency: number;
  readonly resources: ResourcesConfig;
}

/** The pooler settings the server connections come from. */
export interface SidekiqThreadsPooler {
  readonly instances: number;
  readonly defaultPoolSize: number;
  readonly reservePoolSize: number;
}

/** Refusals (field path and message) and warnings (one line each, starting with the path). */
export interface SidekiqThreadProblems {
  readonly errors: readonly FieldProblem[];
  readonly warnings: readonly string[];
}

/**
 * Memory per thread of every process (request and limit), and Sidekiq threads per server
 * connection at the poolers when the chart runs them (`pooler`).
 */
export function sidekiqThreadProblems(processes: readonly SidekiqThreadsProcess[], pooler?: SidekiqThreadsPooler, at: (i: number) => string = (i) => `sidekiq.processes[${i}]`): SidekiqThreadProblems {
  const errors: FieldProblem[] = [];
  const warnings: string[] = [];
  processes.forEach((p, i) => {
    const need = Math.max(SIDEKIQ_MEMORY_FLOOR, Math.ceil((SIDEKIQ_MEMORY_PER_THREAD * p.concurrency) / 2 ** 20) * 2 ** 20);
    const fits = Math.max(1, Math.floor(parseMemory(p.resources.requests.memory) / SIDEKIQ_MEMORY_PER_THREAD));
    const per = (q: string) => `${(parseMemory(q) / p.concurrency / 2 ** 20).toFixed(1)}Mi per thread`;
    const why = `the ${formatMemory(SIDEKIQ_MEMORY_FLOOR)} Sidekiq floor holds ${SIDEKIQ_FLOOR_THREADS} threads at work (${humanMemory(SIDEKIQ_MEMORY_PER_THREAD)} each), so ${p.concurrency} threads need ${formatMemory(need)}`;
    if (parseMemory(p.resources.requests.memory) < need) {
      warnings.push(`${at(i)}.resources.requests.memory: ${p.resources.requests.memory} for concurrency ${p.concurrency} is ${per(p.resources.requests.memory)}; ${why}: request at least ${formatMemory(need)} (and a limit above it), or lower concurrency to ${fits}, or split the queues over more processes`);
    }
    if (parseMemory(p.resources.limits.memory) < need) {
      warnings.push(`${at(i)}.resources.limits.memory: ${p.resources.limits.memory} for concurrency ${p.concurrency} is ${per(p.resources.limits.memory)}; ${why}, and above the limit the process is OOM-killed and loses its running jobs: raise the limit to at least ${formatMemory(need)}, or lower concurrency`);
    }
  });
  if (pooler) {
    const threads = processes.reduce((n, p) => n + (p.maxReplicas ?? p.replicas) * p.concurrency, 0);
    const server = pooler.instances * (pooler.defaultPoolSize + pooler.reservePoolSize);
    const ratio = threads / server;
    if (ratio > THREADS_PER_SERVER_CONNECTION.warn) {
      const refused = ratio > THREADS_PER_SERVER_CONNECTION.refuse;
      const groups = processes.map((p) => `${p.name} ${p.maxReplicas ?? p.replicas} × ${p.concurrency}`).join(', ');
      const message = `Sidekiq runs up to ${threads} threads (${groups}) and the poolers hold ${server} server connections (${pooler.instances} pooler${pooler.instances === 1 ? '' : 's'} × (default_pool_size ${pooler.defaultPoolSize} + reserve_pool_size ${pooler.reservePoolSize})): ${ratio.toFixed(1)} threads per connection, more than ${refused ? THREADS_PER_SERVER_CONNECTION.refuse : THREADS_PER_SERVER_CONNECTION.warn}. Every thread needs a connection for each query; PgBouncer queues the rest, and a query that waits longer than query_wait_timeout (120 s) fails its job, while web and streaming wait in the same queue. Lower concurrency or scaling.maxReplicas, or raise database.pooler.defaultPoolSize or database.pooler.instances (max_connections follows)`;
      if (refused) errors.push({ path: 'sidekiq.processes', message });
      else warnings.push(`sidekiq.processes: ${message}`);
    }
  }
  return { errors, warnings };
}
