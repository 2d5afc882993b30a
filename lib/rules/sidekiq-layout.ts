/**
 * Sidekiq queue layout: which process serves which queues, in which order.
 * Pure: no cdk8s imports.
 */
import { dnsLabelProblem } from './names';

/** Every queue Mastodon enqueues jobs on (Mastodon 4.4 and later). */
export const MASTODON_QUEUES = ['default', 'push', 'pull', 'ingress', 'mailers', 'scheduler', 'fasp'] as const;
/** The queues the generator rotates so that each leads at least one process. */
export const MAIN_QUEUES = ['default', 'push', 'pull'] as const;
/**
 * Queues whose jobs are few and short (cron jobs, e-mails): putting them first costs the
 * queues behind them almost nothing, so they lead the scheduler's process and never wait
 * behind a backlog.
 */
export const LIGHT_QUEUES = ['scheduler', 'mailers'] as const;
/** The queue that runs cron-like jobs; it must be served by exactly one process with one replica. */
export const SCHEDULER_QUEUE = 'scheduler';

/**
 * The order after each lead. Mastodon's scaling guide ranks default, push, ingress, mailers,
 * pull, scheduler; `fasp` (opt-in) comes last. Two changes make sure no single full queue can
 * hold `ingress` back: ingress comes right after the lead where default or push leads (so a
 * default backlog leaves it the push-led process, a push backlog the default-led one), and
 * ingress and mailers come before pull wherever pull does not lead.
 */
const AFTER_LEAD: Record<(typeof MAIN_QUEUES)[number], readonly string[]> = {
  default: ['ingress', 'push', 'mailers', 'pull', 'fasp'],
  push: ['ingress', 'default', 'mailers', 'pull', 'fasp'],
  pull: ['default', 'push', 'ingress', 'mailers', 'fasp'],
};

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
 * Generates queue lists for `count` processes (count >= 3), in strict order:
 * process i is led by MAIN_QUEUES[i mod 3] and continues in the order of AFTER_LEAD. The process
 * at `schedulerIndex` starts with `scheduler` and `mailers` (light queues, see LIGHT_QUEUES),
 * then its lead (after `pull`, see schedulerProcessQueues): the one scheduler never waits behind
 * a backlog, and neither does mail.
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
    const lead = MAIN_QUEUES[i % MAIN_QUEUES.length];
    const queues = [lead, ...AFTER_LEAD[lead]];
    layout.push(i === schedulerIndex ? schedulerProcessQueues(lead, queues) : queues);
  }
  return layout;
}

/**
 * The scheduler process's order: `scheduler` first, then `mailers` ahead of the lead. Where the
 * lead is `pull`, mail goes right after it instead: every other process serves `pull` behind
 * `mailers`, so a mail backlog (a terms-of-service notice to every user, a slow SMTP server)
 * ahead of `pull` here would hold `pull` back everywhere; `mailers` still comes before
 * `default`, `push` and `ingress`, which lead or precede it in the other processes.
 */
function schedulerProcessQueues(lead: string, queues: readonly string[]): string[] {
  const rest = queues.filter((q) => q !== lead && !(LIGHT_QUEUES as readonly string[]).includes(q));
  return lead === 'pull' ? [SCHEDULER_QUEUE, lead, 'mailers', ...rest] : [SCHEDULER_QUEUE, 'mailers', lead, ...rest];
}

/**
 * For each queue, the queues that come before it in every process that serves it, sorted. In
 * strict order a process takes a job from a queue only when every queue before it is empty, so
 * one of these queues staying full holds the queue back everywhere, for as long as it stays
 * full. An empty list means no single backlog can starve the queue.
 */
export function singleQueueBlockers(layout: readonly (readonly string[])[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const q of new Set(layout.flat())) {
    let common: Set<string> | undefined;
    for (const queues of layout) {
      const at = queues.indexOf(q);
      if (at < 0) continue;
      const ahead = new Set(queues.slice(0, at));
      common = common ? new Set([...common].filter((x) => ahead.has(x))) : ahead;
    }
    result[q] = [...(common ?? [])].sort();
  }
  return result;
}

/**
 * A queue name Mastodon does not enqueue on (a typo such as 'defualt' or 'mailer'): Sidekiq would
 * wait on it forever. `known` is MASTODON_QUEUES plus the custom queues, declared at `customPath`.
 */
export function unknownQueueProblems(path: string, queue: string, known: ReadonlySet<string>, customPath: string): LayoutProblem[] {
  if (known.has(queue)) return [];
  return [{ path, message: `'${queue}' is not a Mastodon queue (${MASTODON_QUEUES.join(', ')}); fix the name, or declare it under ${customPath} if your fork adds it` }];
}

/** 'scheduler' served by a second process: two schedulers enqueue every periodic job twice. */
export function secondSchedulerProblem(path: string, owner: string): LayoutProblem {
  return { path, message: `'scheduler' is already served by process '${owner}'; the scheduler queue must run in exactly one process with replicas: 1` };
}

/**
 * `queues: []` (the config leaves the field out instead): Sidekiq would start without `-q` and
 * read the image's config/sidekiq.yml, which serves `scheduler`: a second scheduler.
 */
export const NO_QUEUES = "is empty, so Sidekiq would start without -q and serve the image's config/sidekiq.yml, scheduler included; list the queues this process serves";

/** A custom queue name: a DNS label of at most 40 characters (it may name derived objects). */
export const CUSTOM_QUEUE_NAME = { max: 40, what: 'a custom queue name' } as const;

/** Custom queue names that are not DNS labels of at most 40 characters, at `pathOf(i)`. */
export function customQueueProblems(customQueues: readonly string[], pathOf: (index: number) => string): LayoutProblem[] {
  return customQueues.flatMap((q, i) => {
    const message = dnsLabelProblem(q, CUSTOM_QUEUE_NAME.max, CUSTOM_QUEUE_NAME.what);
    return message ? [{ path: pathOf(i), message }] : [];
  });
}

/** Queue `index` of a process, at `path`, when an earlier one has the same name. */
export function repeatedQueueProblems(process: string, queues: readonly string[], index: number, path: string): LayoutProblem[] {
  const q = queues[index];
  return queues.indexOf(q) < index ? [{ path, message: `'${q}' appears twice in process '${process}'; list each queue once per process` }] : [];
}

/** Mastodon's queues plus a fork's own. */
export function knownQueues(customQueues: readonly string[]): ReadonlySet<string> {
  return new Set<string>([...MASTODON_QUEUES, ...customQueues]);
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
  const known = knownQueues(customQueues);
  const servedBy = new Map<string, string>();
  let schedulerOwner: string | undefined;

  processes.forEach((p, i) => {
    p.queues.forEach((q, j) => {
      const at = `${pathOf(i)}.queues[${j}]`;
      problems.push(...unknownQueueProblems(at, q, known, 'sidekiq.customQueues'), ...repeatedQueueProblems(p.name, p.queues, j, at));
      if (!servedBy.has(q)) servedBy.set(q, p.name);
    });
    if (p.queues.includes(SCHEDULER_QUEUE)) {
      if (schedulerOwner !== undefined) {
        problems.push(secondSchedulerProblem(`${pathOf(i)}.queues`, schedulerOwner));
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
