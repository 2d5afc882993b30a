/** The pure parts of npm run bench: statistics, verdicts, exit code, the table, the README splice. */
import {
  BENCH_END, BENCH_START, countObjects, exitCode, formatReport, median, medianNoise, peakMemory, relativeNoise, spliceReadme, verdict,
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

describe('relativeNoise (1.4826 × median absolute deviation / median)', () => {
  test('identical runs have no noise; one run cannot estimate it', () => {
    expect(relativeNoise([2, 2, 2, 2])).toBe(0);
    expect(relativeNoise([7])).toBeUndefined();
  });
  test('a robust spread: one wild run does not blow it up', () => {
    // deviations from 100: 10, 0, 10, 0, 900 → MAD 10
    expect(relativeNoise([90, 100, 110, 100, 1000])).toBeCloseTo(1.4826 * 10 / 100, 6);
  });
});

describe('medianNoise (standard error of the median)', () => {
  test('shrinks with the number of runs: a median of 9 is three times steadier than one run', () => {
    const runs = [90, 100, 110, 100, 1000, 95, 105, 100, 100];
    expect(medianNoise(runs)).toBeCloseTo((Math.sqrt(Math.PI / 2) * relativeNoise(runs)!) / 3, 9);
    expect(medianNoise([7])).toBeUndefined();
  });
  test('a median 90% over its target is a real miss even when single runs spread that much', () => {
    // Seven pair ratios on a busy machine: median 11.4×, run-to-run spread σ about ±70%.
    const ratios = [4, 6, 9, 11.4, 16, 19, 30];
    const m = median(ratios);
    expect(verdict(m, 6, relativeNoise(ratios)! * m)).toBe('MISS (within noise)'); // the old, lenient judgement
    expect(verdict(m, 6, medianNoise(ratios)! * m)).toBe('MISS');
  });
});

describe('verdict', () => {
  test('at or under the target passes', () => {
    expect(verdict(1.5, 1.5, 0)).toBe('PASS');
    expect(verdict(1.2, 1.5, 0.1)).toBe('PASS');
  });
  test('over the target by less than the noise is a miss within noise, which does not fail', () => {
    expect(verdict(1.55, 1.5, 0.1)).toBe('MISS (within noise)');
    expect(exitCode(['PASS', 'MISS (within noise)'])).toBe(0);
  });
  test('over the target by more than the noise fails', () => {
    expect(verdict(1.7, 1.5, 0.1)).toBe('MISS');
    expect(exitCode(['PASS', 'MISS'])).toBe(1);
  });
  test('no noise estimate means any miss counts', () => {
    expect(verdict(1.51, 1.5, undefined)).toBe('MISS');
  });
  test('a command that failed fails the bench', () => {
    expect(verdict(Number.NaN, 1.5, 0.1)).toBe('FAILED');
    expect(exitCode(['PASS', 'FAILED'])).toBe(1);
  });
  test('no verdicts at all is not a pass', () => {
    expect(exitCode([])).toBe(1);
  });
});

describe('formatReport', () => {
  const report = formatReport({
    header: 'cdk8s-mastodon bench: 2 cores',
    rows: [
      { what: 'npm run synth (wall)', figure: '4.90 s', helm: '0.13 s', ratio: '37.7×', target: '≤ 1.50 s', noise: '±0.20 s', verdict: 'MISS' },
      { what: 'objects', figure: '46', helm: '46', ratio: '', target: '', noise: '', verdict: '' },
    ],
    notes: ['probe checked'],
  });
  const lines = report.split('\n');
  test('a markdown table with aligned columns, header line first, notes after', () => {
    expect(lines[0]).toBe('cdk8s-mastodon bench: 2 cores');
    expect(lines[2]).toMatch(/^\| what +\| figure +\| helm template +\| ratio +\| target +\| noise +\| verdict +\|$/);
    expect(lines[3]).toMatch(/^\|-+(\|-+){6}\|$/);
    const widths = lines.slice(2, 6).map((l) => l.length);
    expect(new Set(widths).size).toBe(1);
    expect(lines[4]).toContain('| 4.90 s ');
    expect(lines[4]).toMatch(/\| MISS +\|$/);
    expect(lines[lines.length - 1]).toBe('- probe checked');
  });
  test('a table cell cannot break the table', () => {
    expect(() => formatReport({ header: 'h', rows: [{ what: 'a|b', figure: '', helm: '', ratio: '', target: '', noise: '', verdict: '' }], notes: [] })).toThrow(/\|/);
  });
});

describe('spliceReadme', () => {
  const readme = `# x\n\n## Benchmark\n\nintro\n\n${BENCH_START}\nold table\n${BENCH_END}\n\n## Next\n`;
  test('replaces exactly what lies between the markers', () => {
    const out = spliceReadme(readme, 'new table');
    expect(out).toBe(`# x\n\n## Benchmark\n\nintro\n\n${BENCH_START}\nnew table\n${BENCH_END}\n\n## Next\n`);
    expect(spliceReadme(out, 'new table')).toBe(out);
  });
  test('refuses a README without the markers', () => {
    expect(() => spliceReadme('# x\n', 't')).toThrow(/bench:start/);
  });
});

describe('peakMemory (from the probe lines of one measured process tree)', () => {
  const line = (o: object) => JSON.stringify(o);
  test('the process that loaded the library is the render process; the tree max is reported too', () => {
    const text = [
      line({ pid: 3, ppid: 2, script: 'main.ts', maxRssKiB: 220000, rendersLib: true }),
      line({ pid: 2, ppid: 1, script: 'cdk8s synth', maxRssKiB: 230000, rendersLib: false }),
      line({ pid: 1, ppid: 0, script: 'synth.ts', maxRssKiB: 130000, rendersLib: false }),
      '',
    ].join('\n');
    expect(peakMemory(text)).toEqual({ renderKiB: 220000, renderScript: 'main.ts', treeMaxKiB: 230000, processes: 3 });
  });
  test('without a process that loaded the library (a bundle, say) the tree max stands in, and says so', () => {
    const p = peakMemory(line({ pid: 1, ppid: 0, script: 'bundle.js', maxRssKiB: 90000, rendersLib: false }));
    expect(p).toEqual({ renderKiB: 90000, renderScript: undefined, treeMaxKiB: 90000, processes: 1 });
  });
  test('no probe line at all is no figure, not zero', () => {
    expect(peakMemory('')).toBeUndefined();
  });
});

test('countObjects counts the non-empty YAML documents of several files', () => {
  expect(countObjects(['a: 1\n---\nb: 2\n', '---\n# only a comment\n---\nc: 3\n---\n', ''])).toBe(3);
});
