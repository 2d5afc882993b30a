/**
 * Sidekiq queue layout: which process serves which queues, in which order.
 * Pure: no cdk8s imports.
 */

/** Every queue Mastodon enqueues jobs on (Mastodon 4.4 and later). */
export const MASTODON_QUEUES = ['default', 'push', 'pull', 'ingress', 'mailers', 'scheduler', 'fasp'] as const;
/** The queues the generator rotates so that each leads at least one process. */
export const MAIN_QUEUES = ['default', 'push', 'pull'] as const;
/** The queues the generator appends, in this order, after the rotated main queues. */
export const TAIL_QUEUES = ['ingress', 'mailers', 'fasp'] as const;
/** The queue that runs cron-like jobs; it must be served by exactly one process with one replica. */
export const SCHEDULER_QUEUE = 'scheduler';

/** What the layout rules need to know about one Sidekiq process. */
export interface SidekiqProcessShape {
  readonly name: string;
  readonly replicas: number;
  readonly queues: readonly string[];
}

/** A problem found in a layout, with the config path it belongs to. */
export interface LayoutProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Generates queue lists for `count` processes (count >= 3): the main queues are rotated so
 * that process i starts with MAIN_QUEUES[i mod 3], then ingress, mailers and fasp follow.
 * `scheduler` is appended to the process at `schedulerIndex` only.
 */
export function generateSidekiqLayout(count: number, schedulerIndex: number): string[][] {
  if (!Number.isInteger(count) || count < MAIN_QUEUES.length) {
    throw new Error(`the generated Sidekiq layout needs at least ${MAIN_QUEUES.length} processes, got ${count}`);
  }
  if (schedulerIndex < 0 || schedulerIndex >= count) {
    throw new Error(`schedulerIndex ${schedulerIndex} is outside 0..${count - 1}`);
  }
  const layout: string[][] = [];
  for (let i = 0; i < count; i++) {
    const k = i % MAIN_QUEUES.length;
    const rotated = [...MAIN_QUEUES.slice(k), ...MAIN_QUEUES.slice(0, k)];
    const queues: string[] = [...rotated, ...TAIL_QUEUES];
    if (i === schedulerIndex) queues.push(SCHEDULER_QUEUE);
    layout.push(queues);
  }
  return layout;
}

/**
 * Checks any layout, generated or written by hand. `pathOf(i)` names process i in messages,
 * for example `sidekiq.processes[2]`.
 */
export function validateSidekiqLayout(
  processes: readonly SidekiqProcessShape[],
  customQueues: readonly string[],
  pathOf: (index: number) => string,
): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const known = new Set<string>([...MASTODON_QUEUES, ...customQueues]);
  const servedBy = new Map<string, string>();
  let schedulerOwner: string | undefined;

  processes.forEach((p, i) => {
    const seen = new Set<string>();
    p.queues.forEach((q, j) => {
      const at = `${pathOf(i)}.queues[${j}]`;
      if (!known.has(q)) {
        problems.push({
          path: at,
          message: `'${q}' is not a Mastodon queue (${MASTODON_QUEUES.join(', ')}); fix the name, or declare it under sidekiq.customQueues if your fork adds it`,
        });
      }
      if (seen.has(q)) {
        problems.push({ path: at, message: `'${q}' appears twice in process '${p.name}'; list each queue once per process` });
      }
      seen.add(q);
      if (!servedBy.has(q)) servedBy.set(q, p.name);
    });
    if (seen.has(SCHEDULER_QUEUE)) {
      if (schedulerOwner !== undefined) {
        problems.push({
          path: `${pathOf(i)}.queues`,
          message: `'scheduler' is already served by process '${schedulerOwner}'; the scheduler queue must run in exactly one process with replicas: 1`,
        });
      } else {
        schedulerOwner = p.name;
      }
      if (p.replicas !== 1) {
        problems.push({
          path: `${pathOf(i)}.replicas`,
          message: `process '${p.name}' serves 'scheduler' with replicas: ${p.replicas}; two schedulers would enqueue every cron job twice, so set replicas: 1 (move the other queues to a process that can scale)`,
        });
      }
    }
  });

  for (const q of MASTODON_QUEUES) {
    if (!servedBy.has(q)) {
      problems.push({
        path: 'sidekiq.processes',
        message: `no process serves the '${q}' queue, so its jobs would never run; add '${q}' to one process's queues`,
      });
    }
  }
  for (const q of customQueues) {
    if (!servedBy.has(q)) {
      problems.push({
        path: 'sidekiq.customQueues',
        message: `custom queue '${q}' is declared but no process serves it; add it to a process's queues or remove it`,
      });
    }
  }
  return problems;
}
