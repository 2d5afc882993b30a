/**
 * The README gives one set of timings: the report `npm run bench -- --readme` wrote (its
 * format is scripts/bench-stats.ts's formatReport, unit-tested in bench-stats.test.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { BENCH_END, BENCH_START } from '../scripts/bench-stats';
import { ROOT } from './support/fixtures';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function benchSection(text: string): string {
  const start = text.indexOf(BENCH_START);
  const end = text.indexOf(BENCH_END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return text.slice(start + BENCH_START.length, end);
}

test('the Benchmark section holds a report of npm run bench, with every target of issue 15 and its verdict', () => {
  const report = benchSection(README);
  expect(report).toMatch(/^\ncdk8s-mastodon bench, \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  const cells = report.split('\n').filter((l) => l.startsWith('| ')).slice(1).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const quick = /\(--quick: no npm test\)/.test(report);
  const targets = cells.filter((c) => c[4].startsWith('≤'));
  expect(targets.map((c) => c[0].replace(/\d+/g, 'N'))).toEqual([
    'npm run synth (wall, median of N)',
    'render process: scripts.synth run directly (wall, median of N pairs)',
    'render process peak memory (maxRSS, median of N)',
    ...(quick ? [] : ['npm test (tsc + jest + dist check, wall, N run)']),
    'in-process resolve + render: N Sidekiq processes, N nodes (N objects) vs default (N), median of N pairs',
  ]);
  expect(targets.map((c) => c[4])).toEqual(['≤ 1.50 s', '≤ 3× helm', '≤ 80 MiB', ...(quick ? [] : ['≤ 45.00 s']), '≤ 6× default']);
  for (const c of targets) {
    expect(c[6]).toMatch(/^(PASS|MISS|MISS \(within noise\)|FAILED)$/);
    expect(c[3]).toMatch(/^[0-9.]+×$|^—$/);
  }
  // Both object counts are measured, and the integration suite's time is there when it was run.
  expect(cells.find((c) => c[0].startsWith('objects written'))?.slice(1, 3).every((x) => /^\d+$/.test(x))).toBe(true);
  if (!/no --integration/.test(report)) expect(cells.some((c) => c[0].startsWith('npm run test:integration'))).toBe(true);
});

/** Sentences that state how long a command or suite takes. */
const TIMING_CLAIM = /measured here[^|\n]*\d+ ?(ms|s|seconds|minutes)\b|about [0-9.]+ ?(ms|s|seconds|minutes) (here|on \d cores)|\b\d+ tests in [0-9.]+ ?(ms|s|seconds|minutes)\b|(synth|render|test|bench)[\w`:]* (takes|took|runs in) (about )?~?[0-9.]+ ?(ms|s|seconds|minutes)\b|~[0-9.]+ ?(ms|s)\b|\| [0-9.]+ ?(ms|s) \| [0-9.]+ ?(ms|s) \||\b(took|takes) [0-9.]+ ?(–|-|to) ?[0-9.]+ ?(ms|s)\b|\b[0-9.]+ ?(ms|s) → [0-9.]+ ?(ms|s)\b/i;

test('no other part of the README, and nothing in docs/, states how long a command takes', () => {
  const outside = README.slice(0, README.indexOf(BENCH_START)) + README.slice(README.indexOf(BENCH_END));
  expect(outside.split('\n').filter((l) => TIMING_CLAIM.test(l))).toEqual([]);
  for (const f of fs.readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.md'))) {
    const lines = fs.readFileSync(path.join(ROOT, 'docs', f), 'utf8').split('\n').filter((l) => TIMING_CLAIM.test(l));
    expect({ f, lines }).toEqual({ f, lines: [] });
  }
});

test('the timing-claim pattern catches the claims it is for and not the operational durations', () => {
  expect(TIMING_CLAIM.test('Measured here (2 cores): 562 tests in 158 s.')).toBe(true);
  expect(TIMING_CLAIM.test('(part of `npm run test:integration`; about 60 s here)')).toBe(true);
  expect(TIMING_CLAIM.test('`npm run synth` takes about 4.9 s')).toBe(true);
  // Hand-measured tables, ranges and before → after figures are timing claims too.
  expect(TIMING_CLAIM.test('| `npm run synth`, now | 5.0 s | 1.69 s | 97 MB |')).toBe(true);
  expect(TIMING_CLAIM.test('With the machine quieter, `npm run synth` took 1.45–2.35 s wall before')).toBe(true);
  expect(TIMING_CLAIM.test('this repository\'s `main.ts` under load 13: 2.24 s → 1.38 s CPU, 203 → 99 MB')).toBe(true);
  expect(TIMING_CLAIM.test('a 10 s `preStop` sleep so the endpoint is gone')).toBe(false);
  expect(TIMING_CLAIM.test('the grace period is 40 s, so the kubelet')).toBe(false);
});
