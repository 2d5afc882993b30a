/** The README gives one set of timings: the table `npm run bench -- --readme` wrote. */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './support/fixtures';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('the Benchmark section holds the table npm run bench wrote, with every measured row', () => {
  const m = /<!-- bench:start[^>]*-->\n([\s\S]*?)<!-- bench:end -->/.exec(README);
  expect(m).not.toBeNull();
  const table = m![1];
  expect(table).toMatch(/^cdk8s-mastodon bench on \d+ cores, node v\d+/);
  const rows = table.split('\n').filter((l) => /^\| /.test(l)).slice(1).map((l) => l.split('|')[1].trim());
  // The npm test row is there unless the table was made with --quick (bench runs npm test,
  // which runs this test, before it writes the table).
  const quick = /\(--quick: no npm test\)/.test(table);
  expect(rows).toEqual([
    'render default app (in-process, median of 20)',
    'render 100 Sidekiq processes, 30 nodes (resolve + render, median of 5)',
    'plan default app (render + place + every N−1 + rollouts, median of 10)',
    'plan 100 Sidekiq processes, 30 nodes (every N−1, median of 3)',
    'cdk8s synth (CLI, wall)',
    ...(quick ? [] : ['npm test (type check + jest + dist check, wall)']),
  ]);
  for (const l of table.split('\n').filter((x) => /^\| /.test(x)).slice(2)) expect(l).toMatch(/\| [0-9.]+ (ms|s) +\| ok|\| [0-9.]+ (ms|s) +\| \d+ (objects|pods)/);
});

test('no other part of the README states how long a command takes', () => {
  const outside = README.replace(/<!-- bench:start[\s\S]*?<!-- bench:end -->/, '');
  expect(outside).not.toMatch(/about [0-9.]+ (seconds|minutes) on \d cores|~[0-9.]+ ?(ms|s)\b/);
});
