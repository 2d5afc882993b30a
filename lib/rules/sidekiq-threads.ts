/**
 * How many Sidekiq threads a process's memory and the poolers' server connections carry.
 * Pure: no cdk8s imports. docs/sidekiq-threads.md explains the figures.
 */
import type { ResourcesConfig } from '../model';
import { formatMemory, parseMemory } from './quantity';
import { SIDEKIQ_MEMORY_FLOOR } from './mastodon-checks';
import type { FieldProblem } from './mastodon-checks';

/** The threads the Sidekiq memory floor was set for (docs/memory.md: "ten threads at work"). */
export const SIDEKIQ_FLOOR_THREADS = 10;
/** The pixels of the largest image Mastodon stores: IMAGE_STYLES original (mastodon/mastodon app/models/media_attachment.rb). */
export const MASTODON_STORED_IMAGE_PIXELS = 8_294_400;
/**
 * The working set assumed for each Sidekiq thread beyond the floor's ten: one image at the size
 * Mastodon stores, decoded at 4 bytes per pixel (8-bit RGBA), 31.6Mi. An assumption, not a
 * measurement: the Sidekiq runtime itself costs about 80 kB per thread (docs/dev/sidekiq-threads.md),
 * so what grows with threads is the jobs' data, and media processing is the largest common job.
 */
export const SIDEKIQ_JOB_WORKING_SET = MASTODON_STORED_IMAGE_PIXELS * 4;

/** The memory a process with `concurrency` threads needs: the floor, plus the working set of each thread beyond ten, rounded up to a MiB. */
export function sidekiqMemoryNeed(concurrency: number): number {
  const extra = Math.max(0, concurrency - SIDEKIQ_FLOOR_THREADS) * SIDEKIQ_JOB_WORKING_SET;
  return Math.ceil((SIDEKIQ_MEMORY_FLOOR + extra) / 2 ** 20) * 2 ** 20;
}

/** The threads a memory request carries by the same model (at least one). */
function threadsCarried(memory: number): number {
  if (memory < SIDEKIQ_MEMORY_FLOOR) return 1;
  return SIDEKIQ_FLOOR_THREADS + Math.floor((memory - SIDEKIQ_MEMORY_FLOOR) / SIDEKIQ_JOB_WORKING_SET);
}

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
    const need = sidekiqMemoryNeed(p.concurrency);
    const fits = threadsCarried(parseMemory(p.resources.requests.memory));
    const per = (q: string) => `${(parseMemory(q) / p.concurrency / 2 ** 20).toFixed(1)}Mi per thread`;
    const why = `the ${formatMemory(SIDEKIQ_MEMORY_FLOOR)} floor holds ${SIDEKIQ_FLOOR_THREADS} threads, and each thread beyond them is assumed to hold one image at the size Mastodon stores (3840×2160, 4 bytes per pixel: ${(SIDEKIQ_JOB_WORKING_SET / 2 ** 20).toFixed(1)}Mi), so ${p.concurrency} threads need ${formatMemory(need)}`;
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
