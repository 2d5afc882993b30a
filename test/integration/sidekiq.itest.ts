/**
 * Sidekiq as rendered, against the real programs:
 * - the container's shell line, run by the same `sh` (dash) the Mastodon image has, with a stub
 *   `bundle` on PATH: a stale ready file left by an OOM-killed run is gone before Sidekiq starts,
 *   and Sidekiq replaces the shell (`exec`), so tini's signals reach it;
 * - the resulting argv, parsed by Sidekiq's own option parser (Debian's ruby-sidekiq 6.4.1:
 *   Sidekiq::CLI#setup_options, the code path `sidekiq` runs before it boots Rails): the queue
 *   list and strict order are exactly the layout the config resolved to.
 */
import * as fs from 'fs';
import * as path from 'path';
import { exampleRaw, podSpecOf, render, resolved, ROOT, withChange } from '../support/fixtures';
import { run, runOk, scratchDir } from './support/servers';
import {
  SIDEKIQ_READY_FILENAME, SIDEKIQ_REQUEUE_MARGIN_SECONDS, SIDEKIQ_SHUTDOWN_TIMEOUT_SECONDS,
} from '../../lib/sidekiq-queue';

interface Rendered { name: string; line: string; workingDir: string; queues: readonly string[]; concurrency: number; grace: number }

function sidekiqsOf(raw: any): Rendered[] {
  const config = resolved(raw);
  return render(raw)
    .filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith(`${config.name}-sidekiq-`))
    .map((o) => {
      const c = podSpecOf(o).containers[0];
      const proc = config.sidekiq.processes.find((p) => `${config.name}-sidekiq-${p.name}` === o.metadata.name)!;
      // The container's shell line; a plain argv (the old `command:`) is run as a line too.
      const line = c.args?.[0] === 'sh' && c.args[1] === '-c' ? c.args[2] : [...(c.command ?? []), ...(c.args ?? [])].join(' ');
      const grace: number = podSpecOf(o).terminationGracePeriodSeconds ?? 30;
      return { name: o.metadata.name, line, workingDir: c.workingDir, queues: proc.queues, concurrency: proc.concurrency, grace };
    });
}

/** Runs the rendered line in a fake Rails.root whose tmp/ holds a stale ready file. */
function runLine(line: string): { staleSeenByStub: boolean; execed: boolean; argv: string[] } {
  const root = scratchDir('sidekiq-root');
  const bin = path.join(root, 'stub-bin');
  fs.mkdirSync(path.join(root, 'tmp'));
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(root, 'tmp', SIDEKIQ_READY_FILENAME), '');
  // The stub records what Sidekiq would see when it starts: its PID, the ready file, its argv.
  fs.writeFileSync(path.join(bin, 'bundle'), [
    '#!/bin/sh',
    'echo $$ > "$STUB_OUT/pid"',
    `if [ -e "tmp/${SIDEKIQ_READY_FILENAME}" ]; then echo yes > "$STUB_OUT/stale"; else echo no > "$STUB_OUT/stale"; fi`,
    'for a in "$@"; do printf "%s\\0" "$a"; done > "$STUB_OUT/argv"',
    '',
  ].join('\n'), { mode: 0o755 });
  const out = scratchDir('sidekiq-out');
  const r = run('sh', ['-c', line], { cwd: root, env: { PATH: `${bin}:${process.env.PATH}`, STUB_OUT: out }, timeoutMs: 10_000 });
  if (r.status !== 0) throw new Error(`the rendered line failed (${r.status}): ${r.stderr}`);
  const pid = Number(fs.readFileSync(path.join(out, 'pid'), 'utf8').trim());
  const argv = fs.readFileSync(path.join(out, 'argv'), 'utf8').split('\0').slice(0, -1);
  const result = { staleSeenByStub: fs.readFileSync(path.join(out, 'stale'), 'utf8').trim() === 'yes', execed: pid === r.pid, argv };
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
  return result;
}

const PARSER = `
require 'json'
require 'sidekiq/cli'
# setup_options is what Sidekiq::CLI#parse runs before it boots the application.
Sidekiq::CLI.instance.send(:setup_options, ARGV.dup)
o = Sidekiq.options
puts JSON.generate({ 'queues' => o[:queues], 'strict' => o[:strict], 'concurrency' => o[:concurrency], 'timeout' => o[:timeout] })
`;

/**
 * A config/sidekiq.yml as an image could ship it: weighted queues, its own concurrency and a
 * shutdown timeout longer than the pod's grace period (Mastodon's own file has weighted queues).
 * The command line must win over every one of these.
 */
const IMAGE_SIDEKIQ_YML = [
  '---',
  ':concurrency: 25',
  ':timeout: 120',
  ':queues:',
  '  - [default, 8]',
  '  - [push, 6]',
  '  - [pull, 1]',
  '',
].join('\n');

/** Sidekiq's own reading of an argv (without the leading `sidekiq`), in a Rails.root with `config/sidekiq.yml`. */
function sidekiqParse(argv: readonly string[]): { queues: string[]; strict: boolean; concurrency: number; timeout: number } {
  // setup_options merges ./config/sidekiq.yml under the command line, as it does in /opt/mastodon.
  const dir = scratchDir('sidekiq-parse');
  fs.mkdirSync(path.join(dir, 'config'));
  fs.writeFileSync(path.join(dir, 'config', 'sidekiq.yml'), IMAGE_SIDEKIQ_YML);
  fs.writeFileSync(path.join(dir, 'parse.rb'), PARSER);
  const out = runOk('ruby', ['parse.rb', ...argv], { cwd: dir, timeoutMs: 30_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  return JSON.parse(out);
}

const variants: Record<string, any> = {
  example: exampleRaw(),
  // Four generated processes, scheduler on the push-led one.
  'four processes': withChange(exampleRaw(), (c) => {
    c.sidekiq.processes.push({ ...structuredClone(c.sidekiq.processes[0]), name: 'extra' });
    c.sidekiq.processes[0].replicas = 2;
    c.sidekiq.processes[1].replicas = 1;
  }),
};

test("the workloads guide's layout table is what Sidekiq reads from the example's Deployments", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'docs', 'workloads.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| process (example) | queues |'));
  const rows = [...table.matchAll(/^\| (\w+)(?: \(scheduler\))? \| ([a-z, ]+) \| [^|]* \|$/gm)].slice(0, 3);
  expect(rows).toHaveLength(3);
  for (const [, name, queues] of rows) {
    const s = sidekiqsOf(exampleRaw()).find((x) => x.name === `ocw-sidekiq-${name}`)!;
    expect(sidekiqParse(runLine(s.line).argv.slice(2)).queues).toEqual(queues.split(', '));
  }
});

describe.each(Object.entries(variants))('%s', (_v, raw) => {
  const sidekiqs = sidekiqsOf(raw);
  test('renders Sidekiq Deployments', () => expect(sidekiqs.length).toBeGreaterThanOrEqual(3));

  test.each(sidekiqs.map((s) => [s.name, s] as const))('%s: a stale ready file is gone before Sidekiq starts, and Sidekiq replaces the shell', (_n, s) => {
    expect(s.workingDir).toBe('/opt/mastodon');
    const r = runLine(s.line);
    expect(r.staleSeenByStub).toBe(false);
    expect(r.execed).toBe(true);
    expect(r.argv.slice(0, 2)).toEqual(['exec', 'sidekiq']);
  });

  test.each(sidekiqs.map((s) => [s.name, s] as const))("%s: Sidekiq's option parser reads the layout's queues in strict order", (_n, s) => {
    const { argv } = runLine(s.line);
    const parsed = sidekiqParse(argv.slice(2));
    expect(parsed).toEqual({ queues: [...s.queues], strict: true, concurrency: s.concurrency, timeout: SIDEKIQ_SHUTDOWN_TIMEOUT_SECONDS });
  });

  test.each(sidekiqs.map((s) => [s.name, s] as const))('%s: Sidekiq finishes its shutdown (timeout, then requeue) well inside the pod grace period', (_n, s) => {
    // On SIGTERM Sidekiq waits `timeout` seconds for running jobs, then pushes them back to Redis
    // and exits; the kubelet SIGKILLs at terminationGracePeriodSeconds. The timeout is whatever
    // Sidekiq parses, config file included, so a longer one in the image cannot outlast the pod.
    const { timeout } = sidekiqParse(runLine(s.line).argv.slice(2));
    expect(timeout + SIDEKIQ_REQUEUE_MARGIN_SECONDS).toBeLessThanOrEqual(s.grace);
  });
});
