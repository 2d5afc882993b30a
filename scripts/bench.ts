/**
 * npm run bench: how long the things people wait for take. Prints a table.
 *   - in-process render of the default app and of a large generated config
 *     (100 Sidekiq processes, 30 nodes), median of several runs
 *   - `cdk8s synth` wall time (the real CLI, into a scratch folder)
 *   - `npm test` wall time (skip with --quick)
 * With --readme it also writes the table into README.md (the only timings the README gives).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadConfigFile, planConfig, renderManifests, resolveConfigOrThrow } from '../lib';
import { largeConfig } from './large-config';
import { cdk8sSynth, ROOT } from './cdk8s-cli';
import { DEFAULT_CONFIG_FILE } from './paths';

/** The markers around the measured table in README.md. */
const BENCH_START = '<!-- bench:start (npm run bench -- --readme writes this table) -->';
const BENCH_END = '<!-- bench:end -->';

function time(fn: () => unknown, runs: number): { median: number; objects: number } {
  const ms: number[] = [];
  let objects = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = fn();
    ms.push(performance.now() - t0);
    if (Array.isArray(r)) objects = r.length;
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], objects };
}

function wall(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const quick = process.argv.includes('--quick');
const rows: [string, string, string][] = [];
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

const example = loadConfigFile(DEFAULT_CONFIG_FILE);
if (!example.ok) throw new Error('the example config does not load');
renderManifests(example.config); // warm up the module cache
const d = time(() => renderManifests(example.config), 20);
rows.push(['render default app (in-process, median of 20)', fmt(d.median), `${d.objects} objects`]);
const big = time(() => renderManifests(resolveConfigOrThrow(largeConfig())), 5);
rows.push(['render 100 Sidekiq processes, 30 nodes (resolve + render, median of 5)', fmt(big.median), `${big.objects} objects`]);

const p1 = time(() => planConfig(example.config), 10);
const r1 = planConfig(example.config);
rows.push(['plan default app (render + place + every N−1 + rollouts, median of 10)', fmt(p1.median), `${r1.pods.length} pods, ${r1.losses.length} losses, ${r1.ok ? 'ok' : 'NOT OK'}`]);
const bigConfig = resolveConfigOrThrow(largeConfig());
const p2 = time(() => planConfig(bigConfig), 3);
const r2 = planConfig(bigConfig);
rows.push(['plan 100 Sidekiq processes, 30 nodes (every N−1, median of 3)', fmt(p2.median), `${r2.pods.length} pods, ${r2.losses.length} losses, ${r2.ok ? 'ok' : `${r2.problems.length} problems`}`]);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-bench-'));
try {
  let status = 0;
  const s = wall(() => { status = cdk8sSynth(path.join(tmp, 'dist')).status; });
  rows.push(['cdk8s synth (CLI, wall)', fmt(s), status === 0 ? 'ok' : `exit ${status}`]);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (!quick) {
  let status = 0;
  const t = wall(() => { status = spawnSync('npm', ['test', '--silent'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } }).status ?? 1; });
  rows.push(['npm test (type check + jest + dist check, wall)', fmt(t), status === 0 ? 'ok' : `exit ${status}`]);
}

const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ['what', 'time', 'note'][i].length));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
const table = [
  `cdk8s-mastodon bench on ${os.cpus().length} cores, node ${process.version}${quick ? ' (--quick: no npm test)' : ''}`,
  '',
  line(['what', 'time', 'note']),
  `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`,
  ...rows.map(line),
].join('\n');
console.log(table);

/**
 * --readme: replaces the table between the bench markers in README.md, so the README holds
 * one set of timings and it is the one this script measured.
 */
if (process.argv.includes('--readme')) {
  const file = path.join(ROOT, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(BENCH_START);
  const end = text.indexOf(BENCH_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BENCH_START} … ${BENCH_END} section`);
  fs.writeFileSync(file, `${text.slice(0, start + BENCH_START.length)}\n${table}\n${text.slice(end)}`);
  console.log('\nwrote the table into README.md');
}
