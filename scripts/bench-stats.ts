/**
 * The pure parts of `npm run bench` (no cdk8s, no processes): medians, the machine's noise,
 * the verdict of a target, the exit code, the printed table and the README splice.
 * Unit-tested in test/bench-stats.test.ts; the timings themselves are only ever measured by
 * `npm run bench`, never by a test.
 */

import { parseAllDocuments } from 'yaml';

/** The markers around the measured table in README.md. */
export const BENCH_START = '<!-- bench:start (npm run bench -- --readme writes this table) -->';
export const BENCH_END = '<!-- bench:end -->';

/** The median of a sample (the input is not reordered). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The run-to-run noise of a sample, relative to its median: 1.4826 × the median absolute
 * deviation (for normally distributed runs that is their standard deviation; unlike it, one
 * run disturbed by another engineer's job does not blow it up). Undefined for fewer than two
 * runs: one run cannot tell its own noise.
 */
export function relativeNoise(xs: readonly number[]): number | undefined {
  if (xs.length < 2) return undefined;
  const m = median(xs);
  if (m === 0) return undefined;
  return (1.4826 * median(xs.map((x) => Math.abs(x - m)))) / Math.abs(m);
}

/**
 * The uncertainty of a sample's median, relative to it: the standard error of the median,
 * √(π/2) × σ / √n with σ estimated robustly by {@link relativeNoise}. A median of n runs is
 * this much less noisy than one run, so a target is judged on this, not on the spread of single
 * runs (which let a median 90% over its target pass as "within noise" on a busy machine).
 * Undefined for fewer than two runs.
 */
export function medianNoise(xs: readonly number[]): number | undefined {
  const rel = relativeNoise(xs);
  return rel === undefined ? undefined : (Math.sqrt(Math.PI / 2) * rel) / Math.sqrt(xs.length);
}

/** What a target's figure says: a miss within the noise is reported but does not fail. */
export type Verdict = 'PASS' | 'MISS (within noise)' | 'MISS' | 'FAILED';

/**
 * The verdict of `figure` against an upper bound `target`, given the noise (same unit as the
 * figure; undefined when it could not be estimated, and then any miss counts). A figure that is
 * not a number (the command failed) is FAILED.
 */
export function verdict(figure: number, target: number, noise: number | undefined): Verdict {
  if (!Number.isFinite(figure)) return 'FAILED';
  if (figure <= target) return 'PASS';
  return figure - (noise ?? 0) <= target ? 'MISS (within noise)' : 'MISS';
}

/** The bench's exit code: 0 only when there were verdicts and none is a real miss or a failure. */
export function exitCode(verdicts: readonly Verdict[]): number {
  if (verdicts.length === 0) return 1;
  return verdicts.some((v) => v === 'MISS' || v === 'FAILED') ? 1 : 0;
}

/** One line of the table; empty cells for rows that only inform. */
export interface BenchRow {
  readonly what: string;
  readonly figure: string;
  readonly helm: string;
  readonly ratio: string;
  readonly target: string;
  readonly noise: string;
  readonly verdict: Verdict | '';
}

/** The whole printed report: a header line, the table, and notes (as a list). */
export interface BenchReport {
  readonly header: string;
  readonly rows: readonly BenchRow[];
  readonly notes: readonly string[];
}

const COLUMNS: [keyof BenchRow, string][] = [
  ['what', 'what'], ['figure', 'figure'], ['helm', 'helm template'], ['ratio', 'ratio'],
  ['target', 'target'], ['noise', 'noise'], ['verdict', 'verdict'],
];

/** The report as printed and as written into the README (the same text). */
export function formatReport(r: BenchReport): string {
  for (const row of r.rows) {
    for (const [k] of COLUMNS) if (row[k].includes('|') || row[k].includes('\n')) throw new Error(`a table cell cannot hold | or a newline: ${row[k]}`);
  }
  const w = COLUMNS.map(([k, title]) => Math.max(title.length, ...r.rows.map((row) => [...row[k]].length)));
  const pad = (s: string, n: number) => s + ' '.repeat(n - [...s].length);
  const line = (cells: string[]) => `| ${cells.map((c, i) => pad(c, w[i])).join(' | ')} |`;
  return [
    r.header,
    '',
    line(COLUMNS.map(([, title]) => title)),
    `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`,
    ...r.rows.map((row) => line(COLUMNS.map(([k]) => row[k]))),
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}

/** README text with the report between the bench markers (and nothing else changed). */
export function spliceReadme(readme: string, report: string): string {
  const start = readme.indexOf(BENCH_START);
  const end = readme.indexOf(BENCH_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BENCH_START} … ${BENCH_END} section`);
  return `${readme.slice(0, start + BENCH_START.length)}\n${report}\n${readme.slice(end)}`;
}

/** Milliseconds as people read them. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'failed';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

/** Peak memory of one measured process tree, from the lines scripts/bench-probe.js wrote. */
export interface PeakMemory {
  /** The render process's peak (KiB); the tree's largest when no process loaded the library. */
  readonly renderKiB: number;
  /** The script of the process that loaded the library; undefined when none did. */
  readonly renderScript: string | undefined;
  /** The largest Node process of the tree (KiB): what /usr/bin/time -f %M reports for the tree. */
  readonly treeMaxKiB: number;
  /** How many Node processes the tree had. */
  readonly processes: number;
}

/** Reads the probe's lines; undefined when there are none. */
export function peakMemory(probeLines: string): PeakMemory | undefined {
  const recs = probeLines.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { script: string; maxRssKiB: number; rendersLib: boolean });
  if (recs.length === 0) return undefined;
  const treeMaxKiB = Math.max(...recs.map((r) => r.maxRssKiB));
  const renderers = recs.filter((r) => r.rendersLib).sort((a, b) => b.maxRssKiB - a.maxRssKiB);
  return {
    renderKiB: renderers.length ? renderers[0].maxRssKiB : treeMaxKiB,
    renderScript: renderers.length ? renderers[0].script : undefined,
    treeMaxKiB,
    processes: recs.length,
  };
}

/** How many objects (non-empty YAML documents) the given files hold. */
export function countObjects(yamlTexts: readonly string[]): number {
  let n = 0;
  for (const t of yamlTexts) for (const d of parseAllDocuments(t)) if (d.toJS() != null) n++;
  return n;
}
