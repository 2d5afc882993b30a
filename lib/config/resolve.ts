/**
 * Turns a parsed config into the resolved model every construct reads: defaults filled in,
 * the Sidekiq layout generated, images chosen and every cross-field rule checked.
 */
import { z } from 'zod';
import { IMAGES, imageRef, postgresImage } from '../rules/images';
import { generateIngressRules, validateIngressRules } from '../rules/tunnel-rules';
import { MAINTENANCE_PORT, serviceNames, STREAMING_PORT, WEB_PORT } from '../rules/services';
import { checkBudget, connectionBudget, cnpgNames } from '../rules/database';
import { checkWalRetention, walRetention } from '../rules/wal';
import { imageArchProblem, postgresImageProblem, restoreProblems, snapshotStorageProblems } from '../rules/postgres-checks';
import { parseMemory } from '../rules/quantity';
import { mediaMountNodes, memoryProblems, readWriteOnceMediaProblems, SIDEKIQ_FLOOR, WEB_FLOOR, type MemoryFloor } from '../rules/mastodon-checks';
import { longestGapSeconds, missedRunGrace } from '../rules/cron';
import { generateSidekiqLayout, validateSidekiqLayout, SCHEDULER_QUEUE } from '../rules/sidekiq-layout';
import { checkK3sInventory, noRolesWarning } from '../rules/k3s';
import { sidekiqThreadProblems } from '../rules/sidekiq-threads';
import { cnpgChartKubernetesProblem } from '../rules/operators';
import { OPENSEARCH_FLOOR, openSearchRequestProblems, searchDeployDbPool } from '../rules/search';
import { MastodonConfigSchema } from './schema';
import { ConfigError, formatZodIssues } from './errors';
import type {
  MastodonConfigParsed, ResolvedConfig, ResolvedImages, ResolvedMonitoring, ResolvedPostgres, ResolvedSidekiqProcess,
  ResolvedTunnel, ResourcesConfig, Arch, ImageSpec, SourcedRule,
} from '../model';

/** Extra time a base backup gets beyond the longest gap of its schedule: a quarter of it, at least 3 hours. */
export function backupGrace(gapSeconds: number): number {
  return missedRunGrace(gapSeconds);
}

/** The result of resolving: a model, or every problem found. */
export type ResolveResult =
  | { readonly ok: true; readonly config: ResolvedConfig }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/**
 * Parses and resolves raw data (from YAML or code). Never throws for bad input. Every problem
 * comes back at once: when the schema refuses some sections, the cross-field checks still run
 * on every section that parsed, and only a check whose inputs are broken is skipped.
 */
export function resolveConfig(raw: unknown): ResolveResult {
  const parsed = MastodonConfigSchema.safeParse(raw, PARSE_OPTIONS);
  if (parsed.success) return crossCheck(parsed.data, new Set(), []);
  // An unknown key is reported, then left out: the rest of its section is still checked.
  const unknown = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
  const rest = unknown.length ? withoutKeys(raw, unknown) : raw;
  const reparsed = unknown.length ? MastodonConfigSchema.safeParse(rest, PARSE_OPTIONS) : parsed;
  const others = reparsed.success ? [] : reparsed.error.issues;
  const schemaErrors = formatZodIssues(inSchemaOrder([...others, ...unknown]), raw);
  if (reparsed.success) return crossCheck(reparsed.data, new Set(), schemaErrors);
  const broken = new Set(others.map((i) => String(i.path[0] ?? '')));
  return crossCheck(parsedSections(rest, broken), broken, schemaErrors);
}

const SECTION_ORDER = new Map(Object.keys(MastodonConfigSchema.shape).map((k, i) => [k, i]));

/** Issues ordered by their top-level section, the order one parse reports them in; a file-level one last. */
function inSchemaOrder(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const rank = (i: z.core.$ZodIssue) => SECTION_ORDER.get(String(i.path[0])) ?? SECTION_ORDER.size;
  return issues.sort((a, b) => rank(a) - rank(b));
}

/** A copy of `raw` without the keys the `unrecognized_keys` issues name. */
function withoutKeys(raw: unknown, issues: readonly z.core.$ZodIssueUnrecognizedKeys[]): unknown {
  const copy = plainCopy(raw);
  for (const issue of issues) {
    let at: unknown = copy;
    for (const p of issue.path) at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[p] : undefined;
    if (at === null || typeof at !== 'object') continue;
    for (const key of issue.keys) delete (at as Record<string, unknown>)[key];
  }
  return copy;
}

/** Copies lists and mappings; any other value (even one structuredClone refuses, like a function) is shared. */
function plainCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainCopy);
  if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainCopy(x)]));
}

const PARSE_OPTIONS = { reportInput: true, jitless: true } as const;
type Sections = { -readonly [K in keyof MastodonConfigParsed]?: MastodonConfigParsed[K] };

/** The top-level sections the schema accepted, parsed alone (defaults filled in); a refused one is added to `broken`. */
function parsedSections(raw: unknown, broken: Set<string>): Sections {
  const out: Record<string, unknown> = {};
  // A problem with no section (the file is not a mapping) leaves nothing to check.
  if (broken.has('') && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
    for (const key of Object.keys(MastodonConfigSchema.shape)) broken.add(key);
    return {};
  }
  for (const [key, schema] of Object.entries(MastodonConfigSchema.shape)) {
    if (broken.has(key)) continue;
    const r = (schema as z.ZodType).safeParse((raw as Record<string, unknown>)[key], PARSE_OPTIONS);
    if (r.success) out[key] = r.data;
    else broken.add(key);
  }
  return out;
}

/** Like resolveConfig, but throws one Error listing every problem: for library users. */
export function resolveConfigOrThrow(raw: z.input<typeof MastodonConfigSchema>): ResolvedConfig {
  const r = resolveConfig(raw);
  if (!r.ok) {
    throw new Error(`invalid Mastodon config:\n${r.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
  }
  return r.config;
}

/**
 * The cross-field rules. `c` holds the sections that parsed; `broken` names those the schema
 * refused (their problems are in `schemaErrors`), and each check runs only when its inputs parsed.
 */
function crossCheck(c: Sections, broken: ReadonlySet<string>, schemaErrors: readonly ConfigError[]): ResolveResult {
  const errors: ConfigError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  /** Every named section parsed (an optional one may be absent). */
  const ok = (...keys: (keyof MastodonConfigParsed)[]) => keys.every((k) => !broken.has(k));

  const m = c.mastodon;
  const images = {
    mastodon: m && (m.image ?? { repository: IMAGES.mastodon.repository, tag: m.version, architectures: IMAGES.mastodon.architectures }),
    streaming: m && (m.streamingImage ?? { repository: IMAGES.streaming.repository, tag: m.version, architectures: IMAGES.streaming.architectures }),
    redis: IMAGES.redis,
    kubectl: IMAGES.kubectl,
    cloudflared: IMAGES.cloudflared,
    maintenance: IMAGES.maintenance,
    redisExporter: IMAGES.redisExporter,
  };
  const warnings: string[] = [];

  // Nodes: unique names; pools and their architectures.
  // Without a readable inventory no pool can be checked.
  const inventory = c.nodes?.inventory;
  const poolArches = new Map<string, Set<Arch>>();
  const seenNodes = new Set<string>();
  inventory?.forEach((n, i) => {
    if (seenNodes.has(n.name)) err(`nodes.inventory[${i}].name`, `node '${n.name}' is listed twice; list each node once`);
    seenNodes.add(n.name);
    if (!poolArches.has(n.pool)) poolArches.set(n.pool, new Set());
    poolArches.get(n.pool)!.add(n.arch);
  });
  const poolList = [...poolArches.keys()].join(', ');
  // k3s node fields (npm run k3s-config) and the k3s version.
  if (inventory && ok('k3s')) for (const problem of checkK3sInventory(inventory, c.k3s?.version, c.k3s?.datastore, c.k3s?.bootstrapped)) err(problem.path, problem.message);
  const noRoles = inventory ? noRolesWarning(inventory) : undefined;
  if (noRoles) warnings.push(noRoles);
  if (c.database?.mode === 'cnpg' && ok('k3s')) {
    const tooOld = cnpgChartKubernetesProblem(c.k3s?.version);
    if (tooOld) warnings.push(tooOld);
  }

  /** The pool has nodes, and one of them can run the image (when the image is known). */
  const checkPlacement = (path: string, pool: string, image: ImageSpec | undefined) => {
    if (!c.nodes) return;
    const arches = poolArches.get(pool);
    if (!arches) {
      err(path, `pool '${pool}' has no nodes in nodes.inventory (pools: ${poolList}); use one of those pools or add nodes labelled ${c.nodes.poolLabel}=${pool}`);
      return;
    }
    if (image && ![...arches].some((a) => image.architectures.includes(a))) {
      err(path, `no node in pool '${pool}' can run ${imageRef(image)}: the pool has ${[...arches].join(', ')} nodes, the image is built for ${image.architectures.join(', ')}; choose a pool with ${image.architectures.join(' or ')} nodes, or an image built for ${[...arches].join(', ')}`);
    }
  };
  const checkResources = (path: string, r: ResourcesConfig, floor?: MemoryFloor) => {
    for (const problem of memoryProblems(path, r, floor)) err(problem.path, problem.message);
  };

  if (c.web) {
    checkPlacement('web.pool', c.web.pool, images.mastodon);
    checkResources('web.resources', c.web.resources, WEB_FLOOR);
  }
  if (c.streaming) {
    checkPlacement('streaming.pool', c.streaming.pool, images.streaming);
    checkResources('streaming.resources', c.streaming.resources);
  }
  if (c.redis?.mode === 'internal') {
    checkPlacement('redis.pool', c.redis.pool, images.redis);
    checkResources('redis.resources', c.redis.resources);
  }
  if (c.search?.mode === 'internal') {
    checkPlacement('search.pool', c.search.pool, IMAGES.opensearch);
    checkResources('search.resources', c.search.resources, OPENSEARCH_FLOOR);
    for (const problem of openSearchRequestProblems('search.resources', c.search.resources)) err(problem.path, problem.message);
  }
  // tootctl search deploy is a Rails process, as a Sidekiq one.
  if (c.search && c.search.mode !== 'off') checkResources('search.deploy.resources', c.search.deploy.resources, SIDEKIQ_FLOOR);

  // Sidekiq processes (none to check when the section did not parse).
  const procs = c.sidekiq?.processes ?? [];
  const seenProcs = new Map<string, number>();
  let layoutReadable = c.sidekiq !== undefined;
  procs.forEach((p, i) => {
    const at = `sidekiq.processes[${i}]`;
    if (seenProcs.has(p.name)) {
      err(`${at}.name`, `process name '${p.name}' is already used by sidekiq.processes[${seenProcs.get(p.name)}]; give each process its own name`);
      layoutReadable = false;
    }
    seenProcs.set(p.name, i);
    checkPlacement(`${at}.pool`, p.pool, images.mastodon);
    if (p.fallbackPool !== undefined) {
      if (p.fallbackPool === p.pool) err(`${at}.fallbackPool`, `the fallback pool is the same as the pool '${p.pool}'; name another pool or remove fallbackPool`);
      else checkPlacement(`${at}.fallbackPool`, p.fallbackPool, images.mastodon);
    }
    checkResources(`${at}.resources`, p.resources, SIDEKIQ_FLOOR);
  });

  const withQueues = procs.filter((p) => p.queues !== undefined).length;
  let generatedLayout = false;
  let layout: string[][] = procs.map((p) => [...(p.queues ?? [])]);
  if (withQueues === 0 && layoutReadable) {
    generatedLayout = true;
    // The scheduler goes to the first single-replica group that does not scale.
    const schedulerIndex = procs.findIndex((p) => p.replicas === 1 && p.scaling === undefined);
    if (procs.length < 3) {
      layoutReadable = false;
      err('sidekiq.processes', `the generated layout needs at least 3 processes so that default, push and pull each lead one; add processes or list queues on each process`);
    } else if (schedulerIndex < 0) {
      layoutReadable = false;
      err('sidekiq.processes', `the generated layout puts 'scheduler' in the first process with replicas: 1 and no scaling, and there is none; set replicas: 1 and remove scaling on one process`);
    } else {
      layout = generateSidekiqLayout(procs.length, schedulerIndex);
    }
  } else if (withQueues !== procs.length) {
    layoutReadable = false;
    procs.forEach((p, i) => {
      if (p.queues === undefined) {
        err(`sidekiq.processes[${i}].queues`, `is missing while other processes list their queues; list queues on every process, or on none to use the generated layout`);
      }
    });
  }
  // The queue layout is judged whenever it could be built, whatever else is wrong.
  if (c.sidekiq && layoutReadable) {
    const shaped = procs.map((p, i) => ({ name: p.name, replicas: p.replicas, queues: layout[i] }));
    for (const problem of validateSidekiqLayout(shaped, c.sidekiq.customQueues, (i) => `sidekiq.processes[${i}]`)) {
      err(problem.path, problem.message);
    }
  }

  // Catch-up scaling: never the scheduler group; maxima above the floor; switches that do something.
  const scalable = procs.filter((p) => p.scaling !== undefined);
  procs.forEach((p, i) => {
    if (!p.scaling) return;
    const at = `sidekiq.processes[${i}].scaling`;
    if (layout[i]?.includes(SCHEDULER_QUEUE)) {
      err(at, `process '${p.name}' serves the scheduler queue, which must run in exactly one pod (two schedulers enqueue every periodic job twice); remove scaling from it, or move 'scheduler' to a process without scaling`);
    }
    if (p.scaling.maxReplicas <= p.replicas) {
      err(`${at}.maxReplicas`, `maxReplicas ${p.scaling.maxReplicas} is not above replicas ${p.replicas}, so the group could never add a pod; raise maxReplicas above ${p.replicas} or remove scaling`);
    }
  });
  if (c.sidekiq?.catchUp && scalable.length === 0) {
    err('sidekiq.catchUp', 'catchUp raises every scalable group to its maxReplicas, and no process has scaling; add scaling: { maxReplicas: N } to the processes that should catch up, or set catchUp: false');
  }
  if (c.sidekiq?.keda && scalable.length === 0) {
    err('sidekiq.keda', 'KEDA scales the processes that have scaling, and none has; add scaling: { maxReplicas: N } to a process, or remove sidekiq.keda');
  }
  const restartNames = new Set(procs.map((p) => p.name));
  for (const name of c.sidekiq ? Object.keys(c.restarts?.sidekiq ?? {}) : []) {
    if (!restartNames.has(name)) {
      err(`restarts.sidekiq.${name}`, `there is no Sidekiq process named '${name}' (processes: ${[...restartNames].join(', ')}); use one of those names`);
    }
  }

  // Media on a volume: ReadWriteOnce attaches to one node, so every pod that mounts it (web,
  // Sidekiq, the cleanup CronJobs) must be confined to a single node.
  if (c.media?.volume && inventory && c.web && c.sidekiq && images.mastodon) {
    const nodes = mediaMountNodes(inventory, [c.web.pool, ...procs.flatMap((p) => [p.pool, p.fallbackPool])], images.mastodon.architectures);
    for (const problem of readWriteOnceMediaProblems(c.media.volume.accessMode, { nodes })) err(problem.path, problem.message);
  }

  // CloudNativePG: one architecture, anti-affinity, restore sources, connection budget.
  let postgres: ResolvedPostgres | undefined;
  const db = c.database;
  if (db?.mode === 'cnpg') {
    const image = postgresImage(db.postgresMajor, db.imageName);
    const imageProblem = db.imageName === undefined ? undefined : postgresImageProblem(image, db.postgresMajor);
    if (imageProblem) err('database.imageName', imageProblem);
    // A refused name stands in as 'x': what derives from it is then neither checked nor returned.
    const names = cnpgNames(ok('name') && c.name !== undefined ? c.name : 'x');
    const inPool = (inventory ?? []).filter((n) => n.pool === db.pool);
    const arches = [...new Set(inPool.map((n) => n.arch))];
    let arch: Arch | undefined = db.arch;
    if (!c.nodes) {
      arch = undefined;
    } else if (inPool.length === 0) {
      err('database.pool', `pool '${db.pool}' has no nodes in nodes.inventory (pools: ${poolList}); use one of those pools or add nodes labelled ${c.nodes.poolLabel}=${db.pool}`);
    } else if (arch === undefined && arches.length > 1) {
      err('database.arch', `pool '${db.pool}' has ${arches.join(' and ')} nodes, and a Postgres standby must run on the same architecture as its primary (physical replication copies the data files); set database.arch to ${arches.map((a) => `'${a}'`).join(' or ')}`);
    } else if (arch !== undefined && !arches.includes(arch)) {
      err('database.arch', `pool '${db.pool}' has no ${arch} nodes (it has ${arches.join(', ')}); choose ${arches.map((a) => `'${a}'`).join(' or ')} or another pool`);
    } else {
      arch ??= arches[0];
      const imageArch = imageArchProblem(image, arch, 'database.arch');
      if (imageArch) err('database.imageName', imageArch);
    }
    // A lost replica's slot must not fill the WAL volume (max_slot_wal_keep_size).
    const wal = walRetention(parseMemory(db.walStorage.size), db.parameters);
    const checked = {
      clusterName: names.cluster, bootstrap: db.bootstrap, serverName: db.backup.objectStore.serverName,
      storage: db.storage, walStorage: db.walStorage, volumeSnapshot: db.backup.volumeSnapshot,
    };
    if (ok('name')) for (const problem of restoreProblems(checked, 'database.')) err(problem.path, problem.message);
    // The budget counts every pod that connects: it needs their sections and the queue layout,
    // and a database problem above would make its figures meaningless.
    if (arch !== undefined && c.web && c.streaming && c.sidekiq && layoutReadable && !errors.some((e) => e.path.startsWith('database.'))) {
      const eligible = inPool.filter((n) => n.arch === arch).map((n) => n.name);
      const antiAffinity = eligible.length >= db.instances ? 'required' : 'preferred';
      if (antiAffinity === 'preferred') {
        warnings.push(`database: ${db.instances} instances but pool '${db.pool}' has ${eligible.length} ${arch} node${eligible.length === 1 ? '' : 's'} (${eligible.join(', ')}), so pod anti-affinity is preferred, not required: two instances may share a node, and losing it loses both`);
      }
      // Every scalable group counts at its maximum: that is what KEDA or catchUp may run.
      const sidekiq = procs.map((p, i) => ({ ...p, servesScheduler: layout[i].includes(SCHEDULER_QUEUE), maxReplicas: p.scaling?.maxReplicas }));
      const searchDeploy = !c.search || c.search.mode === 'off' ? undefined : { dbPool: searchDeployDbPool(c.search.deploy) };
      const budget = connectionBudget({ web: c.web, streaming: c.streaming, sidekiq, ...(searchDeploy ? { searchDeploy } : {}) }, db);
      for (const problem of checkBudget(budget, db)) err(problem.path, problem.message);
      postgres = { arch, antiAffinity, eligibleNodes: eligible, image, budget, serverName: db.backup.objectStore.serverName ?? names.cluster, wal };
    }
    // After the budget, which only runs on a readable cluster: every problem at once.
    for (const problem of snapshotStorageProblems(checked, 'database.')) err(problem.path, problem.message);
    for (const problem of checkWalRetention(wal, db.walStorage.size, db.parameters)) err(problem.path, problem.message);
  }

  // Sidekiq threads: memory per thread, and threads per pooler server connection (ours only).
  const threads = sidekiqThreadProblems(procs.map((p) => ({ ...p, maxReplicas: p.scaling?.maxReplicas })), db?.mode === 'cnpg' ? db.pooler : undefined);
  for (const problem of threads.errors) err(problem.path, problem.message);
  warnings.push(...threads.warnings);

  if (db?.mode === 'external' && db.sslMode !== 'disable' && !db.caSecret) {
    // Mastodon's streaming/database.js maps every DB_SSLMODE but disable and no-verify to
    // node-postgres' ssl: {}, which verifies the certificate and its host name.
    warnings.push(`database.caSecret: streaming (node-postgres) verifies the server certificate against the public CAs because DB_SSLMODE is ${db.sslMode}; if ${db.host} presents a certificate from a private CA, set database.caSecret to a Secret key holding that CA, or streaming cannot connect`);
  }

  // WEB_DOMAIN is for a site served from another host than the handles' domain.
  const sameHost = ok('domain', 'webDomain') && c.webDomain !== undefined && c.webDomain === c.domain;
  if (sameHost) err('webDomain', `is the same as domain (${c.domain}); leave webDomain out: WEB_DOMAIN is only for serving the site from another host than the one in user handles`);

  // The tunnel and maintenance mode.
  let resolvedTunnel: ResolvedTunnel | undefined;
  const t = c.tunnel;
  if (t && c.web && c.streaming && !sameHost && ok('name', 'domain', 'webDomain', 'maintenance')) {
    // By default the connectors run where the traffic they carry goes (web's and streaming's
    // pools): a connector in another pool would send public requests over that pool's link.
    const served = [...new Set([c.web.pool, c.streaming.pool])];
    const pools = t.pools ?? served;
    (t.pools ?? []).forEach((p, i) => {
      checkPlacement(`tunnel.pools[${i}]`, p, images.cloudflared);
      if (!served.includes(p) && poolArches.has(p)) {
        warnings.push(`tunnel.pools[${i}]: pool '${p}' runs neither web nor streaming (pool ${served.join(', ')}), so a connector there sends public traffic over that pool's link and back to ${served.join(', ')}, and protects nothing when ${served.join(', ')} goes dark; remove it, or leave tunnel.pools out to follow web and streaming`);
      }
    });
    let rules: SourcedRule[] | undefined;
    if (t.mode === 'local' && c.name !== undefined && c.domain !== undefined) {
      const svc = serviceNames(c.name);
      rules = generateIngressRules({
        mastodonHosts: c.webDomain ? [c.webDomain, c.domain] : [c.domain],
        streamingService: `http://${svc.streaming}:${STREAMING_PORT}`,
        webService: `http://${svc.web}:${WEB_PORT}`,
        maintenanceService: c.maintenance?.enabled ? `http://${svc.maintenance}:${MAINTENANCE_PORT}` : undefined,
        extraRoutes: t.extraRoutes.map((r, i) => ({ ...r, source: `tunnel.extraRoutes[${i}]` })),
      });
      for (const problem of validateIngressRules(rules)) err(problem.path, problem.message);
    }
    resolvedTunnel = { pools, rules };
  }
  if (c.maintenance?.enabled && ok('tunnel') && t?.mode !== 'local') {
    err('maintenance.enabled', t
      ? 'a remotely managed tunnel keeps its routes in Cloudflare, so the chart cannot send them to the maintenance page; switch the routes in the Cloudflare dashboard, or use tunnel.mode: local'
      : 'maintenance mode routes the tunnel to the maintenance page, and no tunnel is configured; add a tunnel (mode: local)');
  }
  if (c.maintenance?.stopWorkloads && !c.maintenance.enabled) {
    err('maintenance.stopWorkloads', 'stopping the workloads without the maintenance page would leave visitors with errors; set maintenance.enabled: true as well');
  }

  // Monitoring: one namespace Prometheus scrapes from, and a base backup age the alert can use.
  let resolvedMonitoring: ResolvedMonitoring | undefined;
  const mon = c.monitoring;
  if (mon?.enabled) {
    const legacy = c.network?.monitoringNamespace;
    if (legacy !== undefined && legacy !== mon.namespace) {
      err('network.monitoringNamespace', `is '${legacy}' but monitoring.namespace is '${mon.namespace}'; with monitoring enabled the NetworkPolicies use monitoring.namespace, so remove network.monitoringNamespace or set both to the namespace Prometheus runs in`);
    }
    let baseBackupMaxAgeSeconds: number | undefined;
    if (db?.mode === 'cnpg') {
      if (mon.baseBackupMaxAgeHours !== undefined) {
        baseBackupMaxAgeSeconds = mon.baseBackupMaxAgeHours * 3600;
      } else {
        const gap = longestGapSeconds(db.backup.objectStore.baseBackupSchedule);
        if (gap === undefined) {
          err('monitoring.baseBackupMaxAgeHours', `the base backup schedule '${db.backup.objectStore.baseBackupSchedule}' cannot be read to derive how old the newest backup may be; set monitoring.baseBackupMaxAgeHours, e.g. 30 for a daily schedule`);
        } else {
          baseBackupMaxAgeSeconds = gap + backupGrace(gap);
        }
      }
    }
    // kube-prometheus-stack's Prometheus selects rules and PodMonitors by `release: <helm release>`
    // by default (ruleSelectorNilUsesHelmValues, podMonitorSelectorNilUsesHelmValues): objects
    // without labels are ignored without a word, so say it here.
    const ignored = (field: string, what: string) => `${field}: empty, so a kube-prometheus-stack Prometheus with its default selectors ignores ${what}; set ${field} to the labels its selector matches, e.g. { release: kube-prometheus-stack } (your Helm release name), or set prometheus.prometheusSpec.${field === 'monitoring.ruleLabels' ? 'ruleSelectorNilUsesHelmValues' : 'podMonitorSelectorNilUsesHelmValues'}: false in its values`;
    if (Object.keys(mon.ruleLabels).length === 0) warnings.push(ignored('monitoring.ruleLabels', 'the alert rules (PrometheusRule)'));
    if (Object.keys(mon.monitorLabels ?? mon.ruleLabels).length === 0) warnings.push(ignored('monitoring.monitorLabels', 'the PodMonitors, and nothing is scraped'));
    resolvedMonitoring = {
      namespace: mon.namespace,
      ...(mon.prometheusPodLabels ? { prometheusPodLabels: mon.prometheusPodLabels } : {}),
      ruleLabels: mon.ruleLabels,
      monitorLabels: mon.monitorLabels ?? mon.ruleLabels,
      scrapeInterval: mon.scrapeInterval,
      sidekiq: mon.sidekiq,
      ...(baseBackupMaxAgeSeconds !== undefined ? { baseBackupMaxAgeSeconds } : {}),
    };
  }

  if (schemaErrors.length > 0 || errors.length > 0) return { ok: false, errors: [...schemaErrors, ...errors] };
  // Nothing was refused, so every section parsed.
  const full = c as MastodonConfigParsed;
  const resolvedImages: ResolvedImages = { ...images, mastodon: images.mastodon!, streaming: images.streaming! };
  const processes: ResolvedSidekiqProcess[] = procs.map((p, i) => ({
    ...p,
    queues: layout[i],
    servesScheduler: layout[i].includes(SCHEDULER_QUEUE),
  }));
  return {
    ok: true,
    config: { ...full, images: resolvedImages, postgres, resolvedTunnel, ...(resolvedMonitoring ? { resolvedMonitoring } : {}), warnings, sidekiq: { customQueues: full.sidekiq.customQueues, catchUp: full.sidekiq.catchUp, keda: full.sidekiq.keda, generatedLayout, processes } },
  };
}
