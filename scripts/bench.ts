/**
 * npm run bench [-- --runs N] [--skip-test] [--ci] [--init-repo DIR] [--write]: measures the
 * project's targets on this machine, each as min / median / max over N runs (default 3) after
 * one warm-up run, judged on the median:
 *
 *  - `npm run synth`, wall ≤ 1.5 s (nothing changed since the last build);
 *  - `npm run synth` in a server repository made by `cdk8s-mastodon init` ≤ 1.5 s (made here
 *    from `npm pack` of this checkout, or the one given by --init-repo);
 *  - peak memory of the synth process (build/scripts/synth.js, GNU time's maximum resident set
 *    size) ≤ 80 MiB;
 *  - `npm test`, warm, ≤ 60 s (no warm-up run; --skip-test skips it);
 *  - `bash .ci/run` ≤ 15 min, once, in a fresh clone of HEAD, only with --ci;
 *  - for information: the synth process against `helm template` of the project's own chart.
 *
 * Prints the report (a Markdown table) on stdout, progress on stderr; --write also stores it in
 * docs/dev/benchmark.md. Exits 1 when a target is missed or a command fails.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import {
  BenchRow, cpuMs, exitCode, formatKiB, formatMs, formatRatio, formatReport, maxRssKiB, summarize, Summary, verdict, Verdict,
} from './bench-stats';
import { parseArgsOrExit, usageError } from '../cli/args';
import { helmBinary } from './helm-binary';
import { ROOT } from './paths';

/** The targets of issue 21. */
const TARGET = { synthMs: 1500, initSynthMs: 1500, synthKiB: 80 * 1024, testMs: 60_000, ciMs: 15 * 60_000 } as const;

const USAGE = `usage: npm run bench [-- --runs N] [--skip-test] [--ci] [--init-repo DIR] [--write]
  --runs N          runs per measurement after one warm-up (default: 3)
  --skip-test       do not time npm test
  --ci              also time bash .ci/run once in a fresh clone of HEAD
  --init-repo DIR   time the synth of this server repository instead of a fresh one
  --write           also store the report in docs/dev/benchmark.md
  -h, --help        print this help`;
const { values: opt } = parseArgsOrExit(USAGE, {
  options: {
    'runs': { type: 'string', default: '3' },
    'skip-test': { type: 'boolean', default: false },
    'ci': { type: 'boolean', default: false },
    'init-repo': { type: 'string' },
    'write': { type: 'boolean', default: false },
  },
});
const RUNS = Number(opt.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  usageError(USAGE, `--runs must be a whole number ≥ 1; got ${opt.runs}`);
}
const say = (s: string) => process.stderr.write(`bench: ${s}\n`);
const TIME = '/usr/bin/time';
const hasTime = fs.existsSync(TIME) && spawnSync(TIME, ['-v', 'true'], { stdio: 'ignore' }).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-bench-'));

/** The environment of every measured command: the example config, no upgrade check. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  delete env.MASTODON_CONFIG;
  return env;
}

interface Run { readonly ms: number; readonly ok: boolean; readonly kib?: number; readonly cpuMs?: number; readonly output: string }
let runNo = 0;

/**
 * Runs a command, timing it from spawn to exit (NaN when it failed); under GNU time -v (when it
 * exists) unless `untimed`, for its peak memory and CPU time.
 */
function measure(cmd: string, args: readonly string[], options: SpawnSyncOptions & { untimed?: boolean } = {}): Run {
  const timeFile = path.join(tmp, `time-${runNo++}`);
  const timed = !options.untimed && hasTime;
  const [c, a] = timed ? [TIME, ['-v', '-o', timeFile, cmd, ...args]] : [cmd, [...args]];
  const t0 = performance.now();
  const r = spawnSync(c, a, { cwd: ROOT, env: baseEnv(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = performance.now() - t0;
  const ok = r.status === 0;
  const verbose = timed && fs.existsSync(timeFile) ? fs.readFileSync(timeFile, 'utf8') : '';
  const kib = maxRssKiB(verbose);
  const output = `${String(r.stdout ?? '')}${String(r.stderr ?? '')}${r.error ? String(r.error) : ''}`;
  if (!ok) say(`${cmd} ${args.join(' ')} failed:\n${output.trim().split('\n').slice(-20).join('\n')}`);
  return { ms: ok ? ms : Number.NaN, ok, kib, cpuMs: cpuMs(verbose), output };
}

/** One warm-up run (not counted), then RUNS runs. */
function repeat(what: string, run: (i: number) => Run, warmUp = true): Run[] {
  say(`${what}: ${warmUp ? 'a warm-up run, then ' : ''}${RUNS} run${RUNS === 1 ? '' : 's'}`);
  if (warmUp) run(-1);
  return Array.from({ length: RUNS }, (_, i) => run(i));
}

/** A server repository made by `cdk8s-mastodon init` from `npm pack` of this checkout (as it is built now). */
function makeInitRepo(): string {
  say('making a server repository: npm pack, then cdk8s-mastodon init (npm install from the npm cache)');
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp, '--json'], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const tarball = path.join(tmp, JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0].filename);
  const runner = path.join(tmp, 'runner');
  fs.mkdirSync(runner);
  fs.writeFileSync(path.join(runner, 'package.json'), JSON.stringify({ name: 'runner', version: '1.0.0', private: true }));
  const env = { ...baseEnv(), npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  const install = spawnSync('npm', ['install', '--no-package-lock', '--ignore-scripts', tarball], { cwd: runner, encoding: 'utf8', env });
  if (install.status !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
  const server = path.join(tmp, 'server');
  const init = spawnSync(path.join(runner, 'node_modules', '.bin', 'cdk8s-mastodon'), [
    'init', server, '--domain', 'social.example.org', '--name', 'soc', '--repo-url', 'https://github.com/me/soc-gitops.git', '--package-spec', `file:${tarball}`,
  ], { cwd: tmp, encoding: 'utf8', env, input: '' });
  if (init.status !== 0) throw new Error(`cdk8s-mastodon init failed:\n${init.stdout}${init.stderr}`);
  return server;
}

async function main(): Promise<number> {
  const load0 = os.loadavg()[0];
  const out = (name: string) => path.join(tmp, name);
  const rows: BenchRow[] = [];
  const verdicts: Verdict[] = [];
  const target = (measure: string, runs: readonly Run[], figure: (r: Run) => number, unit: (n: number) => string, limit: number, targetText: string) => {
    const failed = runs.some((r) => !r.ok);
    const summary = failed ? undefined : summarize(runs.map(figure));
    const v = verdict(summary, limit, failed);
    verdicts.push(v);
    rows.push({ measure, summary, unit, target: targetText, verdict: v });
  };
  const skipped = (measure: string, targetText: string) => rows.push({ measure, summary: undefined, unit: formatMs, target: targetText, verdict: 'not measured' });

  const synth = repeat('npm run synth', (i) => measure('npm', ['run', '--silent', 'synth', '--', '--output', out(`synth-${i}`)]));
  target('`npm run synth`, wall', synth, (r) => r.ms, formatMs, TARGET.synthMs, `≤ ${formatMs(TARGET.synthMs)}`);

  let initSynth: Run[] = [];
  let server = opt['init-repo'] ? path.resolve(opt['init-repo']) : undefined;
  try {
    server ??= makeInitRepo();
    initSynth = repeat(`npm run synth in ${server}`, () => measure('npm', ['run', '--silent', 'synth'], { cwd: server }));
    target('`npm run synth` in a repository made by init, wall', initSynth, (r) => r.ms, formatMs, TARGET.initSynthMs, `≤ ${formatMs(TARGET.initSynthMs)}`);
  } catch (e) {
    say(String((e as Error).message));
    verdicts.push('FAILED');
    rows.push({ measure: '`npm run synth` in a repository made by init, wall', summary: undefined, unit: formatMs, target: `≤ ${formatMs(TARGET.initSynthMs)}`, verdict: 'FAILED' });
  }

  const synthJs = path.join(ROOT, 'build', 'scripts', 'synth.js');
  const render = repeat('the synth process (node build/scripts/synth.js)', (i) => measure(process.execPath, [synthJs, '--output', out(`render-${i}`)]));
  if (hasTime) {
    target('peak memory of the synth process (maximum resident set size)', render, (r) => r.kib ?? Number.NaN, formatKiB, TARGET.synthKiB, `≤ ${formatKiB(TARGET.synthKiB)}`);
  } else {
    skipped('peak memory of the synth process: not measured (GNU time is missing: apt-get install time)', `≤ ${formatKiB(TARGET.synthKiB)}`);
  }

  if (opt['skip-test']) {
    skipped('`npm test`, warm, wall: not measured (--skip-test)', `≤ ${formatMs(TARGET.testMs)}`);
  } else {
    const test = repeat('npm test', () => measure('npm', ['test', '--silent']), false);
    target('`npm test`, warm, wall', test, (r) => r.ms, formatMs, TARGET.testMs, `≤ ${formatMs(TARGET.testMs)}`);
  }

  if (opt.ci) {
    say('bash .ci/run in a fresh clone of HEAD, once (minutes)');
    const clone = out('ci-clone');
    const c = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8' });
    const ci = c.status === 0 ? [measure('bash', ['.ci/run'], { cwd: clone })] : [{ ms: Number.NaN, ok: false, output: c.stderr }];
    target('`bash .ci/run` in a fresh clone, wall', ci, (r) => r.ms, formatMs, TARGET.ciMs, `≤ ${formatMs(TARGET.ciMs)}`);
  } else {
    skipped('`bash .ci/run`: not measured (pass --ci to time it)', `≤ ${formatMs(TARGET.ciMs)}`);
  }

  // For information: the synth process against helm template of the project's own chart.
  say('building the Helm chart (build/scripts/synth-helm.js), once');
  const chart = out('chart');
  const chartRun = measure(process.execPath, [path.join(ROOT, 'build', 'scripts', 'synth-helm.js'), '--out', chart]);
  const helm = await helmBinary();
  const helmRuns = chartRun.ok
    ? repeat('helm template of the chart', (i) => measure(helm, ['template', 'mastodon', chart, '--namespace', 'mastodon', '--output-dir', out(`helm-${i}`)]))
    : [];
  const renderSummary = summarize(render.map((r) => r.ms));
  const helmSummary = summarize(helmRuns.map((r) => r.ms));
  rows.push({ measure: 'information: the synth process (node build/scripts/synth.js), wall', summary: renderSummary, unit: formatMs, target: '—', verdict: 'information' });
  rows.push({ measure: 'information: `helm template` of the project\'s chart, wall', summary: helmSummary, unit: formatMs, target: '—', verdict: 'information' });
  const helmKiB = summarize(helmRuns.map((r) => r.kib ?? Number.NaN));
  if (helmKiB) rows.push({ measure: 'information: peak memory of `helm template`', summary: helmKiB, unit: formatKiB, target: '—', verdict: 'information' });

  const load1 = os.loadavg()[0];
  const cpuModel = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const helmVersion = (spawnSync(helm, ['version', '--short'], { encoding: 'utf8' }).stdout ?? '').trim() || 'unknown';
  const bare = (env: NodeJS.ProcessEnv) => summarize(Array.from({ length: RUNS }, () => measure(process.execPath, ['-e', '0'], { env, untimed: true }).ms));
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  const startup = caFile ? { withCa: bare(baseEnv()), withoutCa: bare({ ...baseEnv(), NODE_EXTRA_CA_CERTS: '' }) } : undefined;
  const cpu = (runs: readonly Run[]) => summarize(runs.map((r) => r.cpuMs ?? Number.NaN));
  const cpuText = (what: string, s: Summary | undefined) => (s ? [`${what} ${formatMs(s.median)}`] : []);
  const cpuParts = [
    ...cpuText('`npm run synth`', cpu(synth)), ...cpuText('in the init repository', cpu(initSynth)), ...cpuText('the synth process', cpu(render)),
  ];
  const notes = [
    ...(cpuParts.length ? [`CPU time (user + system, with the child processes; medians), less sensitive than wall time to other work on the machine: ${cpuParts.join(', ')}.`] : []),
    ...(renderSummary && helmSummary ? [`The synth process takes ${formatRatio(renderSummary.median / helmSummary.median)} the time of \`helm template\` (medians).`] : []),
    ...(startup?.withCa && startup.withoutCa
      ? [`This environment sets NODE_EXTRA_CA_CERTS=${caFile}, which Node reads at every start: \`node -e 0\` takes ${formatMs(startup.withCa.median)} with it, ${formatMs(startup.withoutCa.median)} without (medians); \`npm run synth\` starts three Node processes (npm, tsc, the script).`]
      : []),
    `Machine: ${os.cpus().length} cores (${cpuModel}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, helm ${helmVersion}; load average ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end (other work on the machine makes every figure slower and noisier).`,
    `Method: one warm-up run of each command (none for npm test and .ci/run), then ${RUNS} runs; a target is judged on the median. \`npm run synth\` includes its incremental \`tsc -b\` (nothing changed) and npm itself.`,
    hasTime ? 'Peak memory: GNU time -v, maximum resident set size of the process.' : 'Peak memory: not measured, GNU time (/usr/bin/time) is missing (apt-get install time).',
  ];
  const header = `cdk8s-mastodon bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const report = formatReport({ header, rows, notes });
  process.stdout.write(`${report}\n`);
  if (opt.write) {
    const file = path.join(ROOT, 'docs', 'dev', 'benchmark.md');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `# Benchmark\n\nThe last report of \`npm run bench -- --write\` (scripts/bench.ts says what each row measures).\n\n${report}\n`);
    say(`wrote ${path.relative(process.cwd(), file)}`);
  }
  return exitCode(verdicts);
}

main().then((code) => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exitCode = code;
}).catch((e) => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
