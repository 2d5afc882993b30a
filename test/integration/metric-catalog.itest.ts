/**
 * The metric catalog (lib/rules/metric-catalog.ts) against the exporters Debian ships, running
 * for real: prometheus-redis-exporter against a real redis-server, and prometheus-node-exporter,
 * each on 127.0.0.1 and a random port, scraped over HTTP and read with a text-format parser.
 * Every catalogued metric of those exporters must be in the scrape with the catalogued type, and
 * with no label the catalog does not know.
 *
 * Debian ships older releases than the catalog's (bookworm: redis_exporter 1.45.0 against the
 * pinned image's v1.88.0; node_exporter 1.5.0 against v1.12.1). What is comparable is compared:
 * names, types, label names. A label the newer release added is listed below with the upstream
 * change that added it, and the test checks that the Debian release really lacks it, so the list
 * cannot outlive the difference.
 *
 * Prometheus' own `up`, which PgBouncerDown reads for the pooler pods, is checked with Debian's
 * Prometheus server scraping one of these exporters: 1 while it answers, 0 once it is gone.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { CatalogExporter, METRIC_CATALOG, TARGET_LABELS } from '../../lib/rules/metric-catalog';
import { freePort, runOk, scratchDir, Server, startServer } from './support/servers';

type Families = ReturnType<typeof parsePrometheusTextFormat>;

/** A label the catalog's release emits and the Debian release does not, with where it was added. */
interface KnownGap {
  readonly metric: string;
  readonly label: string;
  readonly why: string;
}

const exporter = (id: string): CatalogExporter => {
  const e = METRIC_CATALOG.find((x) => x.id === id);
  if (!e) throw new Error(`no exporter ${id} in the catalog`);
  return e;
};

const debianVersion = (pkg: string): string => runOk('dpkg-query', ['-W', '-f=${Version}', pkg]).trim();

/** GET http://127.0.0.1:port/metrics, bounded in time. */
function scrape(port: number): Promise<Families> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(parsePrometheusTextFormat(body)) : reject(new Error(`/metrics answered ${res.statusCode}: ${body.slice(0, 500)}`))));
    });
    req.on('timeout', () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
  });
}

/** Every difference between the catalog's entries for an exporter and a scrape of it. */
function compare(e: CatalogExporter, families: Families, gaps: readonly KnownGap[]): string[] {
  return e.metrics.flatMap((m) => {
    const family = families.find((f) => f.name === m.name);
    if (!family) return [`${m.name}: not in the scrape`];
    const problems: string[] = [];
    if (family.type.toLowerCase() !== m.type) problems.push(`${m.name}: type ${family.type.toLowerCase()} in the scrape, ${m.type} in the catalog`);
    const seen = new Set(family.metrics.flatMap((s) => Object.keys(s.labels ?? {})));
    for (const l of seen) if (!m.labels.includes(l)) problems.push(`${m.name}: label ${l} in the scrape, not in the catalog`);
    const excused = new Set(gaps.filter((g) => g.metric === m.name).map((g) => g.label));
    for (const l of m.labels) if (!seen.has(l) && !excused.has(l)) problems.push(`${m.name}: label ${l} in the catalog, not in the scrape`);
    return problems;
  });
}

/** The known gaps that are no longer gaps (the Debian release emits the label after all). */
const closedGaps = (families: Families, gaps: readonly KnownGap[]) =>
  gaps.filter((g) => families.find((f) => f.name === g.metric)?.metrics.some((s) => g.label in (s.labels ?? {})));

const value = (families: Families, name: string): number => Number(families.find((f) => f.name === name)?.metrics[0]?.value);

describe('redis_exporter (Debian prometheus-redis-exporter) against a real redis-server', () => {
  const catalog = exporter('redis-exporter');
  const gaps: KnownGap[] = [];
  const maxmemory = 64 * 2 ** 20;
  let dir: string;
  let redis: Server;
  let exp: Server;
  beforeAll(async () => {
    dir = scratchDir('metric-catalog-redis', 'redis');
    const redisPort = await freePort();
    redis = await startServer('/usr/bin/redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory', String(maxmemory), '--maxmemory-policy', 'noeviction'], { port: redisPort, user: 'redis' });
    const port = await freePort();
    exp = await startServer('/usr/bin/prometheus-redis-exporter', ['-web.listen-address', `127.0.0.1:${port}`, '-redis.addr', `redis://127.0.0.1:${redisPort}`], { port });
  });
  afterAll(async () => {
    await exp?.stop();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test(`the catalogued metrics are in the scrape with their types and labels (catalog ${catalog.version})`, async () => {
    expect(debianVersion('prometheus-redis-exporter')).toMatch(/^1\.45\./);
    const families = await scrape(exp.port);
    expect(compare(catalog, families, gaps)).toEqual([]);
    expect(closedGaps(families, gaps)).toEqual([]);
  });

  test("the values are Redis' own: redis_up is 1, redis_memory_max_bytes is its maxmemory", async () => {
    const families = await scrape(exp.port);
    expect(value(families, 'redis_up')).toBe(1);
    expect(value(families, 'redis_memory_max_bytes')).toBe(maxmemory);
    expect(value(families, 'redis_memory_used_bytes')).toBeGreaterThan(0);
  });

  test('with Redis gone, the exporter still answers and redis_up is 0 (what RedisDown reads)', async () => {
    await redis.stop();
    const families = await scrape(exp.port);
    expect(value(families, 'redis_up')).toBe(0);
    // The memory gauges vanish rather than turn 0: RedisMemoryNearLimit goes quiet, RedisDown speaks.
    expect(families.find((f) => f.name === 'redis_memory_used_bytes')).toBeUndefined();
  });
});

describe('node_exporter (Debian prometheus-node-exporter)', () => {
  const catalog = exporter('node-exporter');
  // prometheus/node_exporter collector/filesystem_common.go: filesystemLabelNames gained
  // device_error in v1.8.0 ("filesystem: surface device errors", #2923); 1.5.0 has device,
  // mountpoint and fstype.
  const gaps: KnownGap[] = ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes', 'node_filesystem_readonly']
    .map((metric) => ({ metric, label: 'device_error', why: 'added in node_exporter v1.8.0 (#2923)' }));
  let exp: Server;
  beforeAll(async () => {
    const port = await freePort();
    // Only the collectors the rules read, each with its default flags (--collector.netstat.fields
    // keeps Tcp_RetransSegs and Tcp_OutSegs by default).
    exp = await startServer('/usr/bin/prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.filesystem', '--collector.netstat'], { port });
  });
  afterAll(async () => { await exp?.stop(); });

  test(`the catalogued metrics are in the scrape with their types and labels (catalog ${catalog.version})`, async () => {
    expect(debianVersion('prometheus-node-exporter')).toMatch(/^1\.5\./);
    const families = await scrape(exp.port);
    expect(compare(catalog, families, gaps)).toEqual([]);
    expect(closedGaps(families, gaps)).toEqual([]);
  });
});

describe("Prometheus' own up series (Debian prometheus) for a target that stops answering", () => {
  let dir: string;
  let target: Server;
  let prom: Server;

  /** GET /api/v1/query?query=... on the Prometheus server, bounded in time. */
  const query = (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: prom.port, path: `/api/v1/query?query=${encodeURIComponent(q)}`, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => { try { resolve(JSON.parse(body).data.result); } catch (e) { reject(e instanceof Error ? e : new Error(String(e))); } });
    });
    req.on('timeout', () => req.destroy(new Error('query timed out')));
    req.on('error', reject);
  });
  /** Polls `up` until it has the value, for at most 30 s. */
  const upBecomes = async (v: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      // Until its TSDB and rule manager are up, Prometheus answers 503 in plain text: poll on.
      const r = await query('up').catch(() => []);
      if (r.length === 1 && r[0].value[1] === v) return r[0];
      if (Date.now() > deadline) throw new Error(`up did not become ${v}: ${JSON.stringify(r)}`);
      await new Promise((ok) => setTimeout(ok, 250));
    }
  };

  beforeAll(async () => {
    dir = scratchDir('metric-catalog-prometheus');
    const targetPort = await freePort();
    target = await startServer('/usr/bin/prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${targetPort}`, '--collector.disable-defaults', '--collector.netstat'], { port: targetPort });
    // The labels a PodMonitor target gets (TARGET_LABELS), set statically here: no Kubernetes.
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, scrape_timeout: 1s }',
      'scrape_configs:',
      '  - job_name: mastodon/ocw-db-pooler',
      `    static_configs: [{ targets: ['127.0.0.1:${targetPort}'], labels: { namespace: mastodon, pod: ocw-db-pooler-7c9d-a, container: pgbouncer, endpoint: metrics } }]`,
      '',
    ].join('\n'));
    const port = await freePort();
    prom = await startServer('/usr/bin/prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { port, readyTimeoutMs: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await prom?.stop();
    await target?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('up is 1 while the target answers, with only the target labels, and 0 once it is gone', async () => {
    const up = exporter('prometheus').metrics.find((m) => m.name === 'up')!;
    const healthy = await upBecomes('1');
    expect(Object.keys(healthy.metric).filter((l) => l !== '__name__').sort()).toEqual([...up.labels, ...TARGET_LABELS.PodMonitor].sort());
    await target.stop();
    const down = await upBecomes('0');
    expect(down.metric).toMatchObject({ namespace: 'mastodon', pod: 'ocw-db-pooler-7c9d-a' });
  }, 90_000);
});
