/** The pure parts of npm run bench: the summary of runs, verdicts, exit code, the table, GNU time's output. */
import {
  cpuMs, exitCode, formatKiB, formatMs, formatReport, maxRssKiB, median, summarize, verdict,
} from '../scripts/bench-stats';

describe('median', () => {
  test('odd and even counts, unsorted input, input left unsorted', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  test('refuses an empty sample instead of returning NaN', () => {
    expect(() => median([])).toThrow(/no samples/);
  });
});

describe('summarize', () => {
  test('min, median, max and the number of runs', () => {
    expect(summarize([900, 1200, 1000])).toEqual({ min: 900, median: 1000, max: 1200, runs: 3 });
  });
  test('no runs, or a failed run (NaN), gives no summary rather than a misleading figure', () => {
    expect(summarize([])).toBeUndefined();
    expect(summarize([900, Number.NaN])).toBeUndefined();
  });
});

describe('verdict (on the median)', () => {
  test('at or under the target passes, over it misses, whatever the min and max', () => {
    expect(verdict({ min: 1000, median: 1500, max: 4000, runs: 3 }, 1500)).toBe('PASS');
    expect(verdict({ min: 100, median: 1501, max: 1600, runs: 3 }, 1500)).toBe('MISS');
  });
  test('a failed command is FAILED; a skipped measure is not measured', () => {
    expect(verdict(undefined, 1500, true)).toBe('FAILED');
    expect(verdict({ min: 1, median: 1, max: 1, runs: 1 }, 1500, true)).toBe('FAILED');
    expect(verdict(undefined, 1500)).toBe('not measured');
  });
});

test('exit code: 1 when a target is missed or a command failed; skipped and informational rows do not fail', () => {
  expect(exitCode(['PASS', 'not measured', 'information'])).toBe(0);
  expect(exitCode(['PASS', 'MISS'])).toBe(1);
  expect(exitCode(['FAILED', 'PASS'])).toBe(1);
});

test('the report: a Markdown table with min, median, max, runs, target and verdict, then the notes', () => {
  const text = formatReport({
    header: 'bench, now',
    rows: [
      { measure: 'npm run synth', summary: { min: 900, median: 1000, max: 1250, runs: 3 }, unit: formatMs, target: '≤ 1.50 s', verdict: 'PASS' },
      { measure: 'peak memory', summary: { min: 81920, median: 92160, max: 92160, runs: 3 }, unit: formatKiB, target: '≤ 80.0 MiB', verdict: 'MISS' },
      { measure: 'bash .ci/run', summary: undefined, unit: formatMs, target: '≤ 15 min', verdict: 'not measured' },
    ],
    notes: ['a note'],
  });
  const lines = text.split('\n');
  expect(lines[0]).toBe('bench, now');
  const cells = lines.filter((l) => l.startsWith('| ')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  expect(cells).toEqual([
    ['measure', 'min', 'median', 'max', 'runs', 'target', 'verdict'],
    ['npm run synth', '900 ms', '1.00 s', '1.25 s', '3', '≤ 1.50 s', 'PASS'],
    ['peak memory', '80.0 MiB', '90.0 MiB', '90.0 MiB', '3', '≤ 80.0 MiB', 'MISS'],
    ['bash .ci/run', '—', '—', '—', '0', '≤ 15 min', 'not measured'],
  ]);
  // Every row of the table is as wide as the header (aligned columns).
  expect(new Set(lines.filter((l) => l.startsWith('|')).map((l) => [...l].length)).size).toBe(1);
  expect(lines[lines.length - 1]).toBe('- a note');
});

test('a cell holding | or a newline is refused (it would break the table)', () => {
  expect(() => formatReport({ header: 'h', rows: [{ measure: 'a | b', summary: undefined, unit: formatMs, target: '—', verdict: 'information' }], notes: [] })).toThrow(/cannot hold/);
});

test('formatMs: milliseconds, seconds, minutes; a failed run says so', () => {
  expect(formatMs(412.4)).toBe('412 ms');
  expect(formatMs(1234)).toBe('1.23 s');
  expect(formatMs(754_000)).toBe('12 min 34 s');
  expect(formatMs(60_000)).toBe('1 min');
  expect(formatMs(Number.NaN)).toBe('failed');
});

test('maxRssKiB and cpuMs read GNU time -v output, and nothing from other text', () => {
  const out = '\tCommand being timed: "node x.js"\n\tUser time (seconds): 0.62\n\tSystem time (seconds): 0.11\n\tMaximum resident set size (kbytes): 91332\n\tExit status: 0\n';
  expect(maxRssKiB(out)).toBe(91332);
  expect(cpuMs(out)).toBe(730);
  expect(maxRssKiB('Command exited with non-zero status 1\n')).toBeUndefined();
  expect(cpuMs('')).toBeUndefined();
});
