/**
 * Refusals the config resolver and the Mastodon constructs share: memory floors, counts, host
 * names and ReadWriteOnce media. Each returns problems (`path` plus `what is wrong; the fix`),
 * never throws, so a caller can report every problem at once. Pure: no cdk8s imports.
 */
import { formatMemory, parseMemory } from './quantity';
import type { ResourcesConfig } from '../model';

/** A problem with one field: its path (config or prop path) and `what is wrong; the fix`. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** A memory request below which a process is OOM-killed during normal work, and why. */
export interface MemoryFloor {
  readonly bytes: number;
  readonly why: string;
}

/** The memory request below which Puma is OOM-killed during normal work. */
export const WEB_MEMORY_FLOOR = 700 * 2 ** 20;
/** The memory request below which a Sidekiq process is OOM-killed during normal work. */
export const SIDEKIQ_MEMORY_FLOOR = 512 * 2 ** 20;
/** The web (Puma) floor with its reason, as both the config and MastodonWeb check it. */
export const WEB_FLOOR: MemoryFloor = { bytes: WEB_MEMORY_FLOOR, why: 'Puma with Mastodon loaded needs it or it is OOM-killed under normal load' };
/** The Sidekiq floor with its reason, as both the config and SidekiqQueue check it. */
export const SIDEKIQ_FLOOR: MemoryFloor = { bytes: SIDEKIQ_MEMORY_FLOOR, why: 'a Sidekiq process with Mastodon loaded needs it or it is OOM-killed mid-job' };

/** Inclusive bounds of a whole number. */
export interface CountBounds {
  readonly min: number;
  readonly max?: number;
}

/** Bounds of the web settings (config `web`, MastodonWeb props). */
export const WEB_BOUNDS = {
  replicas: { min: 1 },
  processes: { min: 1, max: 16 },
  threads: { min: 1, max: 32 },
} as const satisfies Record<string, CountBounds>;

/** Bounds of one Sidekiq process group (config `sidekiq.processes[]`, SidekiqQueue props). */
export const SIDEKIQ_BOUNDS = {
  replicas: { min: 1 },
  concurrency: { min: 1, max: 100 },
} as const satisfies Record<string, CountBounds>;

/**
 * A lower-case host name with at least one dot (LOCAL_DOMAIN, WEB_DOMAIN): no scheme, no path,
 * no port, no trailing dot. The top-level domain is letters, or an internationalized one in its
 * punycode form (`xn--p1ai`).
 */
export const HOSTNAME_PATTERN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** The request is at least the floor (when given) and the limit at least the request. */
export function memoryProblems(path: string, r: ResourcesConfig, floor?: MemoryFloor): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const req = parseMemory(r.requests.memory);
  const lim = parseMemory(r.limits.memory);
  if (floor && req < floor.bytes) {
    problems.push({ path: `${path}.requests.memory`, message: `${r.requests.memory} is below the ${formatMemory(floor.bytes)} floor: ${floor.why}; request at least ${formatMemory(floor.bytes)}` });
  }
  if (lim < req) {
    problems.push({ path: `${path}.limits.memory`, message: `the limit ${r.limits.memory} is below the request ${r.requests.memory}; the pod could never use what it reserves, so raise the limit to at least ${r.requests.memory}` });
  }
  return problems;
}

/** A whole number within its bounds. */
export function countProblems(path: string, value: number, bounds: CountBounds): FieldProblem[] {
  const range = bounds.max === undefined ? `of at least ${bounds.min}` : `from ${bounds.min} to ${bounds.max}`;
  if (!Number.isInteger(value) || value < bounds.min || (bounds.max !== undefined && value > bounds.max)) {
    return [{ path, message: `is ${value}, not a whole number ${range}; set a whole number ${range}` }];
  }
  return [];
}

/** Which host name: LOCAL_DOMAIN (`domain`, in every handle) or WEB_DOMAIN (`webDomain`). */
export type HostNameField = 'domain' | 'webDomain';

const HOST_NAME_ROLE: Record<HostNameField, string> = {
  domain: 'it is part of every handle and cannot change later',
  webDomain: 'the host the site is served from',
};

/**
 * Why `value` is not a host name for `field`, or undefined: the bare lower-case host to use
 * instead when one can be read from it, and the punycode form of a non-ASCII name.
 */
export function hostNameMessage(value: string, field: HostNameField): string | undefined {
  if (HOSTNAME_PATTERN.test(value)) return undefined;
  const tail = `(no scheme, no path, no port: ${HOST_NAME_ROLE[field]})`;
  const suggestion = hostNameOf(value);
  if (/\P{ASCII}/u.test(value)) {
    return `'${value}' is not an ASCII host name; use its punycode form${suggestion ? ` ('${suggestion}')` : ', e.g. example.xn--p1ai'} ${tail}`;
  }
  return `'${value}' is not a lower-case host name; set it to the bare host${suggestion && suggestion !== value ? ` ('${suggestion}')` : ', e.g. example.social'} ${tail}`;
}

/** A lower-case host name such as example.social, at `path` (the field it is). */
export function hostNameProblems(path: HostNameField, value: string): FieldProblem[] {
  const message = hostNameMessage(value, path);
  return message ? [{ path, message }] : [];
}

/** The bare lower-case ASCII (punycode) host of a URL-ish string, when one can be read from it. */
function hostNameOf(value: string): string | undefined {
  const bare = value.trim().replace(/^[a-z]+:\/\//i, '').split(/[/?#]/)[0].split(':')[0].replace(/\.$/, '');
  let host: string;
  try {
    // The WHATWG URL parser (a global in Node and browsers) lower-cases and punycodes the host.
    host = new URL(`http://${bare}`).hostname;
  } catch {
    return undefined;
  }
  return HOSTNAME_PATTERN.test(host) ? host : undefined;
}

/**
 * The nodes the pods that mount the media volume (web, Sidekiq, the cleanup CronJobs on web's
 * pool) can run on: those of their pools, preferred and fallback, of an architecture the image has.
 */
export function mediaMountNodes(
  inventory: readonly { readonly name: string; readonly pool: string; readonly arch: string }[],
  pools: readonly (string | undefined)[],
  architectures: readonly string[],
): string[] {
  const wanted = new Set(pools.filter((p): p is string => p !== undefined));
  return inventory.filter((n) => wanted.has(n.pool) && architectures.includes(n.arch)).map((n) => n.name);
}

/** A workload that mounts the media volume, and the most pods it runs. */
export interface MediaMount {
  readonly name: string;
  readonly pods: number;
}

/**
 * ReadWriteOnce attaches to one node, so every pod that mounts the media volume must run on one
 * node. With the nodes known (the config's inventory), refused when the pods can run on more than
 * one; without them (constructs alone), refused when more than one pod mounts it, since nothing
 * then keeps those pods on one node (web even spreads its replicas over nodes).
 */
export function readWriteOnceMediaProblems(
  accessMode: string | undefined,
  where: { readonly nodes: readonly string[] } | { readonly mounts: readonly MediaMount[] },
): FieldProblem[] {
  if (accessMode !== 'ReadWriteOnce') return [];
  const path = 'media.volume.accessMode';
  const fix = 'Use ReadWriteMany storage (e.g. NFS or Longhorn RWX) or media.s3';
  if ('nodes' in where) {
    if (where.nodes.length <= 1) return [];
    return [{ path, message: `ReadWriteOnce attaches to one node, but the web and Sidekiq pods that mount the media volume can run on ${where.nodes.length} nodes (${where.nodes.join(', ')}); a pod on another node would hang in ContainerCreating. ${fix}` }];
  }
  const pods = where.mounts.reduce((n, m) => n + m.pods, 0);
  if (pods <= 1) return [];
  return [{ path, message: `ReadWriteOnce attaches to one node, but ${pods} pods mount the media volume (${where.mounts.map((m) => `${m.name}: ${m.pods}`).join(', ')}) and nothing keeps them on one node; a pod on another node would hang in ContainerCreating. ${fix}, or set mediaNodes to the one node they run on` }];
}

/** One Error for a construct's props: `<what>: invalid props:` and one `<path>: <message>` line each. */
export function propsError(what: string, problems: readonly FieldProblem[]): Error {
  return new Error(`${what}: invalid props:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
}
