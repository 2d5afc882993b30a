/**
 * Full-text search: the ES_* settings Mastodon reads, the single-node OpenSearch's heap and
 * floor, and the `tootctl search deploy` Job's arguments and name. Pure: no cdk8s imports.
 *
 * Mastodon reads ES_ENABLED (only the string 'true' enables it), ES_HOST (default localhost),
 * ES_PORT (default 9200), ES_USER, ES_PASS, ES_PREFIX and ES_PRESET in
 * config/initializers/chewy.rb (mastodon/mastodon v4.x), which joins them as `host:port`: the
 * scheme, when not http, is part of ES_HOST (`https://search.example`), as Mastodon's
 * admin/elasticsearch.md says ("If using TLS, prepend the hostname with https://").
 */
import { createHash } from 'crypto';
import { resourceName } from './names';
import { parseMemory } from './quantity';
import { searchEpoch } from './upgrade-notes';
import type { FieldProblem, MemoryFloor } from './mastodon-checks';
import type { ResolvedConfig, ResourcesConfig, SearchEndpoint } from '../model';

export { searchEpoch };

/** ES_PRESET values (Mastodon's admin/elasticsearch.md): replicas and shards for the cluster size. */
export const SEARCH_PRESETS = ['single_node_cluster', 'small_cluster', 'large_cluster'] as const;
/** The indices `tootctl search deploy --only` takes (lib/mastodon/cli/search.rb). */
export const SEARCH_INDICES = ['instances', 'accounts', 'tags', 'statuses', 'public_statuses'] as const;

/** OpenSearch's HTTP port (the image's EXPOSE 9200). */
export const OPENSEARCH_PORT = 9200;
/** uid and gid of the `opensearch` user in opensearchproject/opensearch (opensearch-build docker/release/dockerfiles, ARG UID=1000). */
export const OPENSEARCH_UID = 1000;

/**
 * The least memory the OpenSearch pod may request: a 512 MiB heap (the `-Xms512m -Xmx512m`
 * of OpenSearch's Docker guide and its Helm chart's opensearchJavaOpts) is half of it.
 */
export const OPENSEARCH_FLOOR: MemoryFloor = {
  bytes: 1024 * 2 ** 20,
  why: "OpenSearch's JVM heap is half the memory limit, and OpenSearch's Docker guide starts it at 512m; the other half is Lucene's file cache and the JVM's own memory",
};

/**
 * OpenSearch's memory request must equal its limit: the heap is sized from the limit
 * ({@link openSearchHeapMiB}), so a smaller request lets the scheduler place it where the heap
 * and the file cache do not fit, and the kernel OOM-kills it under pressure. A limit below the
 * request is memoryProblems' to report.
 */
export function openSearchRequestProblems(path: string, r: ResourcesConfig): FieldProblem[] {
  const req = parseMemory(r.requests.memory);
  const lim = parseMemory(r.limits.memory);
  if (!(req < lim)) return [];
  return [{
    path: `${path}.requests.memory`,
    message: `${r.requests.memory} is not the limit ${r.limits.memory}: the JVM heap is half the limit, so the pod needs all of it on its node; set requests.memory to ${r.limits.memory}`,
  }];
}

/**
 * The JVM heap in MiB for a memory limit: half of it, as OpenSearch's "Important settings" page
 * says of OPENSEARCH_JAVA_OPTS ("we recommend half of system RAM"); the rest is Lucene's file cache.
 */
export function openSearchHeapMiB(limitBytes: number): number {
  return Math.floor(limitBytes / 2 / 2 ** 20);
}

/** The Service name (and ES_HOST) of the in-cluster OpenSearch of an instance. */
export function internalSearchHost(instance: string): string {
  return resourceName(instance, 'search');
}

/** Where Mastodon searches, from the config: the in-cluster OpenSearch, the external server, or none. */
export function searchEndpoint(c: Pick<ResolvedConfig, 'name' | 'search'>): SearchEndpoint | undefined {
  const s = c.search;
  switch (s.mode) {
    case 'internal':
      return { host: internalSearchHost(c.name), port: OPENSEARCH_PORT, scheme: 'http', preset: 'single_node_cluster', ...(s.prefix ? { prefix: s.prefix } : {}) };
    case 'external':
      return {
        host: s.host, port: s.port, scheme: s.scheme, preset: s.preset,
        ...(s.user ? { user: s.user } : {}),
        ...(s.passwordSecret ? { passwordSecret: s.passwordSecret } : {}),
        ...(s.prefix ? { prefix: s.prefix } : {}),
      };
    default:
      return undefined;
  }
}

/** A host name or IPv4 address: no scheme, no port, no path. */
export const SEARCH_HOST = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

/**
 * What is wrong with a search endpoint (the config's `search` and MastodonEnvironment's
 * `search` prop share it): a host with a scheme or port in it, and ES_USER and ES_PASS apart
 * (chewy.rb sends the password only with a user).
 */
export function searchEndpointProblems(path: string, s: Pick<SearchEndpoint, 'host' | 'user' | 'passwordSecret'>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!SEARCH_HOST.test(s.host)) {
    problems.push({ path: `${path}.host`, message: `'${s.host}' is not a bare host name: write the host alone (e.g. search.example.net), the scheme in ${path}.scheme and the port in ${path}.port` });
  }
  if (s.passwordSecret && !s.user) {
    problems.push({ path: `${path}.user`, message: `passwordSecret is set without user: Mastodon sends ES_PASS only with ES_USER; set ${path}.user to the user the password belongs to` });
  }
  if (s.user && !s.passwordSecret) {
    problems.push({ path: `${path}.passwordSecret`, message: 'user is set without passwordSecret: reference the Secret key that holds its password ({name, key})' });
  }
  return problems;
}

/** One variable read from a Secret key (the shape of rules/environment.ts SecretEnv). */
export interface SearchSecretEnv {
  readonly env: string;
  readonly secretName: string;
  readonly key: string;
}

/** The ES_* variables for an endpoint: none without one (Mastodon's default: search off). */
export function searchEnv(s: SearchEndpoint | undefined): { plain: Record<string, string>; secrets: SearchSecretEnv[] } {
  if (!s) return { plain: {}, secrets: [] };
  const plain: Record<string, string> = {
    ES_ENABLED: 'true',
    // chewy.rb builds "#{host}:#{port}": https goes into the host, http is the client's default.
    ES_HOST: s.scheme === 'https' ? `https://${s.host}` : s.host,
    ES_PORT: String(s.port),
    ES_PRESET: s.preset,
    ...(s.user ? { ES_USER: s.user } : {}),
    ...(s.prefix ? { ES_PREFIX: s.prefix } : {}),
  };
  const secrets = s.passwordSecret ? [{ env: 'ES_PASS', secretName: s.passwordSecret.name, key: s.passwordSecret.key }] : [];
  return { plain, secrets };
}

/** What `tootctl search deploy` is asked to do (config `search.deploy`). */
export interface SearchDeployOptions {
  /** Worker threads (`--concurrency`). */
  readonly concurrency: number;
  /** Records per batch (`--batch-size`). */
  readonly batchSize: number;
  /** `--reset-chewy`: forget the stored index specifications, so every index is rebuilt. */
  readonly resetChewy: boolean;
  /** `--only`: these indices only. @default every index */
  readonly only?: readonly string[];
  /** Change it to run the Job again (an upgrade's notes ask for a reindex). @default none */
  readonly reindexToken?: string;
  /** `--only-mapping`: update the index specifications without re-importing (lib/mastodon/cli/search.rb). @default false */
  readonly onlyMapping?: boolean;
}

/** The command line, as `args` of the Mastodon image (its ENTRYPOINT is tini). */
export function searchDeployArgs(o: SearchDeployOptions): string[] {
  return [
    'bin/tootctl', 'search', 'deploy',
    '--concurrency', String(o.concurrency),
    '--batch-size', String(o.batchSize),
    ...(o.resetChewy ? ['--reset-chewy'] : []),
    ...(o.onlyMapping ? ['--only-mapping'] : []),
    ...(o.only && o.only.length > 0 ? ['--only', ...o.only] : []),
  ];
}

/**
 * The Job's name: `<instance>-search-deploy-<8 hex>`, the hash of the search epoch of the
 * Mastodon version ({@link searchEpoch}: the newest release whose upgrade notes ask for a search
 * deploy), the reindex token and the arguments. Under Argo CD a named hook that exists is not
 * created again, so the Job runs when search is first enabled and again only when one of these
 * changes: an upgrade across such a release, a new reindexToken or new options; a patch upgrade
 * keeps the name and re-imports nothing.
 */
export function searchDeployName(instance: string, version: string, o: SearchDeployOptions): string {
  const digest = createHash('sha256').update(JSON.stringify({ epoch: searchEpoch(version), token: o.reindexToken ?? '', args: searchDeployArgs(o) })).digest('hex');
  return resourceName(instance, 'search-deploy', digest.slice(0, 8));
}

/** Threads plus one: the database connections (DB_POOL) the command needs. */
export function searchDeployDbPool(o: Pick<SearchDeployOptions, 'concurrency'>): number {
  return o.concurrency + 1;
}
