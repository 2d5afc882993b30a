/**
 * The pure parts of `npm run bench` (no processes): the summary of a measure's runs, its verdict
 * against a target, the exit code and the printed table. Unit-tested in test/bench-stats.test.ts;
 * the timings themselves are only ever measured by `npm run bench`, never by a test.
 */

/** The median of a sample (the input is not reordered). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Min, median and max of a measure's runs; undefined when a run failed or none was made. */
export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly runs: number;
}

/** The summary of the runs, or undefined when there are none or one failed (NaN). */
export function summarize(xs: readonly number[]): Summary | undefined {
  if (xs.length === 0 || !xs.every(Number.isFinite)) return undefined;
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs), runs: xs.length };
}

/** What a measure says against its target (an upper bound, judged on the median). */
export type Verdict = 'PASS' | 'MISS' | 'FAILED' | 'not measured' | 'information';

/**
 * PASS when the median is at or under the target, MISS over it; FAILED when a run failed;
 * `not measured` when the measure was skipped (`failed` false, no runs).
 */
export function verdict(s: Summary | undefined, target: number, failed = false): Verdict {
  if (failed) return 'FAILED';
  if (!s) return 'not measured';
  return s.median <= target ? 'PASS' : 'MISS';
}

/** The bench's exit code: 0 unless a target was missed or a command failed. */
export function exitCode(verdicts: readonly Verdict[]): number {
  return verdicts.some((v) => v === 'MISS' || v === 'FAILED') ? 1 : 0;
}

/** One line of the table. */
export interface BenchRow {
  readonly measure: string;
  readonly summary: Summary | undefined;
  /** How a figure of this measure is written (ms, MiB…). */
  readonly unit: (n: number) => string;
  /** The target as written, e.g. `≤ 1.50 s`; `—` for an informational row. */
  readonly target: string;
  readonly verdict: Verdict;
}

/** The whole printed report: a header line, the table, and notes (as a list). */
export interface BenchReport {
  readonly header: string;
  readonly rows: readonly BenchRow[];
  readonly notes: readonly string[];
}

const COLUMNS = ['measure', 'min', 'median', 'max', 'runs', 'target', 'verdict'] as const;

/** The report as printed (and as `--write` stores it in docs/dev/benchmark.md): a Markdown table. */
export function formatReport(r: BenchReport): string {
  const cells = r.rows.map((row) => {
    const s = row.summary;
    const c = [row.measure, s ? row.unit(s.min) : '—', s ? row.unit(s.median) : '—', s ? row.unit(s.max) : '—', s ? String(s.runs) : '0', row.target, row.verdict];
    for (const x of c) if (x.includes('|') || x.includes('\n')) throw new Error(`a table cell cannot hold | or a newline: ${x}`);
    return c;
  });
  const w = COLUMNS.map((title, i) => Math.max(title.length, ...cells.map((c) => [...c[i]].length)));
  const pad = (s: string, n: number) => s + ' '.repeat(n - [...s].length);
  const line = (c: readonly string[]) => `| ${c.map((x, i) => pad(x, w[i])).join(' | ')} |`;
  return [
    r.header,
    '',
    line(COLUMNS),
    `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`,
    ...cells.map(line),
    ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}

/** Milliseconds as people read them. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'failed';
  if (ms >= 60_000) {
    const min = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return s === 0 ? `${min} min` : `${min} min ${s} s`;
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/** KiB (as GNU time reports peak memory) in MiB. */
export function formatKiB(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

/** A ratio. */
export function formatRatio(x: number): string {
  return `${x.toFixed(2)}×`;
}

/** The peak resident memory (KiB) in the output of GNU time's `-v`, or undefined. */
export function maxRssKiB(timeVerbose: string): number | undefined {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(timeVerbose);
  return m ? Number(m[1]) : undefined;
}

/** User + system CPU time (ms) in the output of GNU time's `-v` (the process and the children it waited for), or undefined. */
export function cpuMs(timeVerbose: string): number | undefined {
  const user = /User time \(seconds\): ([\d.]+)/.exec(timeVerbose);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(timeVerbose);
  return user && sys ? Math.round((Number(user[1]) + Number(sys[1])) * 1000) : undefined;
}
