/**
 * npm run bench [-- --quick] [-- --integration] [-- --readme] [-- --pairs N]: measures issue 15's
 * targets on this machine, each against `helm template` of the project's own Helm chart in the
 * same run, and exits non-zero when a target is missed by more than the machine's noise.
 *
 *  1. `npm run synth -- --output <scratch>` wall time ≤ 1.5 s (run as the user runs it).
 *  2. The process that renders the default app and writes its YAML: package.json's
 *     `scripts.synth` run directly (sh -c, node_modules/.bin on PATH, `--output <scratch>`, no
 *     npm in between): wall ≤ 3 × `helm template` of the chart `npm run synth:helm` makes, and
 *     the render process's peak memory ≤ 80 MiB.
 *  3. `npm test` wall ≤ 45 s (one run; `--quick` skips it). `--integration` also times
 *     `npm run test:integration` once (no target; the README states it).
 *  4. In-process: resolve + render 100 Sidekiq processes on 30 nodes ≤ 6 × the default app.
 *
 * Method: one warm-up run of each, then N rounds (7; 3 with --quick) of
 * [npm synth, helm, scripts.synth, helm]; each command is paired with the helm run after it and
 * the ratios are taken per pair. Figures are medians; the noise of a figure is the standard error
 * of that median (scripts/bench-stats.ts medianNoise: √(π/2) × 1.4826 × MAD / √n); a target
 * missed by less than its noise is
 * reported but does not fail. Peak memory comes from scripts/bench-probe.js (loaded with
 * NODE_OPTIONS=--require into every Node process of the tree: process.resourceUsage().maxRSS at
 * exit); when /usr/bin/time exists, every process command runs under `/usr/bin/time -f %M`,
 * which gives helm's peak and checks the probe (it reports the tree's largest process).
 * Progress goes to stderr; stdout is the report, and `--readme` writes exactly that report
 * between the bench markers in README.md.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { parseArgs } from 'util';
import { parse } from 'yaml';
import { planConfig, resolveConfigOrThrow } from '../lib';
import {
  BenchRow, countObjects, exitCode, formatMs, formatReport, median, medianNoise, peakMemory, PeakMemory, relativeNoise, spliceReadme, verdict, Verdict,
} from './bench-stats';
import { ROOT } from './cdk8s-cli';
import { helmBinary } from './helm-binary';
import { largeConfig } from './large-config';
import { DEFAULT_CONFIG_FILE } from './paths';
import { renderManifests } from '../lib/app/render';

/** Issue 15's targets. */
const TARGET = { synthMs: 1500, renderVsHelm: 3, renderMiB: 80, testMs: 45_000, largeVsDefault: 6 } as const;

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    integration: { type: 'boolean', default: false },
    readme: { type: 'boolean', default: false },
    pairs: { type: 'string' },
  },
});
const PAIRS = opt.pairs ? Number(opt.pairs) : opt.quick ? 3 : 7;
if (!Number.isInteger(PAIRS) || PAIRS < 2) {
  process.stderr.write(`--pairs must be a whole number ≥ 2 (the noise needs at least two pairs); got ${opt.pairs}\n`);
  process.exit(2);
}
const say = (s: string) => process.stderr.write(`bench: ${s}\n`);
const TIME = '/usr/bin/time';
const hasTime = fs.existsSync(TIME) && spawnSync(TIME, ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0;
const MiB = (kib: number) => kib / 1024;
const fmtMiB = (mib: number) => (Number.isFinite(mib) ? `${mib.toFixed(1)} MiB` : '—');
const fmtX = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

/** The environment of every measured command: the example config, no upgrade check. */
function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };
  delete env.MASTODON_CONFIG;
  delete env.CDK8S_MASTODON_BENCH_RSS;
  return { ...env, ...extra };
}

interface Run { ms: number; ok: boolean; timeKiB?: number; output: string }
let runNo = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-bench-'));

/** Runs a command (under /usr/bin/time -f %M when it exists), timing it from spawn to exit. */
function measure(cmd: string, args: string[], options: SpawnSyncOptions): Run {
  const timeFile = path.join(tmp, `time-${runNo++}`);
  const [c, a] = hasTime ? [TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(c, a, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = performance.now() - t0;
  let timeKiB: number | undefined;
  if (hasTime && fs.existsSync(timeFile)) {
    // On failure GNU time writes "Command exited with non-zero status N" before the figure.
    const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop();
    timeKiB = last && /^\d+$/.test(last) ? Number(last) : undefined;
  }
  const ok = r.status === 0;
  return { ms: ok ? ms : Number.NaN, ok, timeKiB, output: `${String(r.stdout ?? '')}${String(r.stderr ?? '')}${r.error ? String(r.error) : ''}` };
}

function failIfNot(r: Run, what: string): void {
  if (!r.ok) say(`${what} failed:\n${r.output.trim().split('\n').slice(-20).join('\n')}`);
}

/** `npm run synth -- --output DIR`, as the user runs it. */
function npmSynth(out: string): Run {
  const r = measure('npm', ['run', '--silent', 'synth', '--', '--output', out], { env: baseEnv() });
  failIfNot(r, 'npm run synth');
  return r;
}

const SYNTH_SCRIPT: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.synth;
const PROBE = path.join(__dirname, 'bench-probe.js');
/** Runs of the render process from an empty bundle cache (informational). */
const COLD_RUNS = 3;

/** package.json's scripts.synth run directly (what npm would run, without npm), with the probe. */
function renderProcess(out: string, extraEnv: NodeJS.ProcessEnv = {}): Run & { peak?: PeakMemory } {
  const probeFile = path.join(tmp, `probe-${runNo}`);
  const env = baseEnv({
    ...extraEnv,
    PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require "${PROBE}"`.trim(),
    CDK8S_MASTODON_BENCH_RSS: probeFile,
    CDK8S_MASTODON_BENCH_ROOT: ROOT,
  });
  const r = measure('sh', ['-c', `${SYNTH_SCRIPT} "$@"`, 'synth', '--output', out], { env });
  failIfNot(r, `scripts.synth (${SYNTH_SCRIPT})`);
  const peak = fs.existsSync(probeFile) ? peakMemory(fs.readFileSync(probeFile, 'utf8')) : undefined;
  return { ...r, peak };
}

function helmTemplate(helm: string, chart: string, out: string): Run {
  const r = measure(helm, ['template', 'mastodon', chart, '--namespace', 'mastodon', '--output-dir', out], { env: baseEnv() });
  failIfNot(r, 'helm template');
  return r;
}

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

async function main(): Promise<number> {
  const load0 = os.loadavg()[0];
  const helm = await helmBinary();
  say('building the Helm chart (npm run synth:helm), once');
  const chart = path.join(tmp, 'chart');
  const chartRun = spawnSync('npm', ['run', '--silent', 'synth:helm', '--', '--out', chart], { cwd: ROOT, encoding: 'utf8', env: baseEnv() });
  if (chartRun.status !== 0) {
    say(`npm run synth:helm failed:\n${chartRun.stdout}${chartRun.stderr}`);
    return 1;
  }

  const out = (name: string) => path.join(tmp, name);
  say('warm-up: one run of each');
  npmSynth(out('warm-npm'));
  renderProcess(out('warm-render'));
  helmTemplate(helm, chart, out('warm-helm'));

  const synthMs: number[] = []; const renderMs: number[] = []; const helmMs: number[] = [];
  const synthRatio: number[] = []; const renderRatio: number[] = [];
  const renderKiB: number[] = []; const helmKiB: number[] = []; const probeVsTime: number[] = [];
  const renderScripts = new Set<string>();
  let processes = 0;
  for (let i = 0; i < PAIRS; i++) {
    say(`round ${i + 1}/${PAIRS}: npm run synth, helm template, scripts.synth, helm template`);
    const s = npmSynth(out(`npm-${i}`));
    const h1 = helmTemplate(helm, chart, out(`helm-${i}a`));
    const r = renderProcess(out(`render-${i}`));
    const h2 = helmTemplate(helm, chart, out(`helm-${i}b`));
    synthMs.push(s.ms); renderMs.push(r.ms); helmMs.push(h1.ms, h2.ms);
    synthRatio.push(s.ms / h1.ms); renderRatio.push(r.ms / h2.ms);
    for (const h of [h1, h2]) if (h.timeKiB !== undefined) helmKiB.push(h.timeKiB);
    if (r.peak) {
      renderKiB.push(r.peak.renderKiB);
      renderScripts.add(r.peak.renderScript ?? '(no process loaded lib/: the tree\'s largest)');
      processes = r.peak.processes;
      if (r.timeKiB !== undefined) probeVsTime.push(Math.abs(r.timeKiB - r.peak.treeMaxKiB) / r.timeKiB);
    } else {
      renderKiB.push(Number.NaN);
    }
  }
  const distObjects = countObjects(yamlFiles(out(`render-${PAIRS - 1}`)));
  const chartObjects = countObjects(yamlFiles(out(`helm-${PAIRS - 1}b`)));
  const distFiles = fs.existsSync(out(`render-${PAIRS - 1}`)) ? fs.readdirSync(out(`render-${PAIRS - 1}`)).sort() : [];
  const perFile = distFiles.map((f) => `${f} ${countObjects([fs.readFileSync(path.join(out(`render-${PAIRS - 1}`), f), 'utf8')])}`).join(', ');

  // The floor: a bare Node start, with this machine's environment and, when it names a CA bundle
  // (NODE_EXTRA_CA_CERTS, which Node parses as it starts), without it (as synth runs).
  say(`node -e 0, ${PAIRS} runs${process.env.NODE_EXTRA_CA_CERTS ? ' with and without NODE_EXTRA_CA_CERTS' : ''}`);
  const bareMs = Array.from({ length: PAIRS }, () => measure(process.execPath, ['-e', '0'], { env: baseEnv() }).ms);
  const bareNoCaMs = process.env.NODE_EXTRA_CA_CERTS
    ? Array.from({ length: PAIRS }, () => measure(process.execPath, ['-e', '0'], { env: baseEnv({ NODE_EXTRA_CA_CERTS: '' }) }).ms)
    : undefined;

  // After an edit to a source file the first run rebuilds the bundle and its code cache
  // (scripts/bundle-run.js): each of these runs starts from an empty bundle cache.
  say(`render process after a source edit (empty bundle cache), ${COLD_RUNS} runs`);
  const coldMs = Array.from({ length: COLD_RUNS }, (_, i) => renderProcess(out(`cold-${i}`), { CDK8S_MASTODON_BUNDLE_CACHE: out(`bundle-cache-${i}`) }).ms);

  say(`in-process: resolve + render, default app and 100 Sidekiq processes on 30 nodes, ${PAIRS} pairs`);
  const exampleInput = parse(fs.readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  const bigInput = largeConfig();
  const timeIt = <T>(fn: () => T) => { const t0 = performance.now(); const v = fn(); return { ms: performance.now() - t0, v }; };
  timeIt(() => renderManifests(resolveConfigOrThrow(exampleInput)));
  timeIt(() => renderManifests(resolveConfigOrThrow(bigInput)));
  const defMs: number[] = []; const bigMs: number[] = []; const bigRatio: number[] = [];
  let defCount = 0; let bigCount = 0;
  for (let i = 0; i < PAIRS; i++) {
    const d = timeIt(() => renderManifests(resolveConfigOrThrow(exampleInput)));
    const b = timeIt(() => renderManifests(resolveConfigOrThrow(bigInput)));
    defMs.push(d.ms); bigMs.push(b.ms); bigRatio.push(b.ms / d.ms);
    defCount = d.v.length; bigCount = b.v.length;
  }
  say('in-process: plan (informational)');
  const exampleConfig = resolveConfigOrThrow(exampleInput);
  const bigConfig = resolveConfigOrThrow(bigInput);
  const planRuns = opt.quick ? 1 : 3;
  const planDef = Array.from({ length: planRuns }, () => timeIt(() => planConfig(exampleConfig)));
  const planBig = Array.from({ length: planRuns }, () => timeIt(() => planConfig(bigConfig)));
  const pd = planDef[0].v; const pb = planBig[0].v;

  let testRun: Run | undefined;
  if (!opt.quick) {
    say('npm test, once (this takes a while)');
    testRun = measure('npm', ['test', '--silent'], { env: baseEnv() });
    failIfNot(testRun, 'npm test');
  }
  let integrationRun: Run | undefined;
  if (opt.integration) {
    say('npm run test:integration, once (this takes minutes)');
    integrationRun = measure('npm', ['run', '--silent', 'test:integration'], { env: baseEnv() });
    failIfNot(integrationRun, 'npm run test:integration');
  }
  const load1 = os.loadavg()[0];

  // The figures and their noise.
  // A median figure is judged on its median's uncertainty; a single run on the spread of runs.
  const noiseOf = (xs: number[]) => medianNoise(xs.filter(Number.isFinite));
  const runNoiseOf = (xs: number[]) => relativeNoise(xs.filter(Number.isFinite));
  const med = (xs: number[]) => (xs.every(Number.isFinite) ? median(xs) : Number.NaN);
  const helmMedian = med(helmMs);
  const wallNoises = [runNoiseOf(synthMs), runNoiseOf(renderMs), runNoiseOf(helmMs)].filter((x): x is number => x !== undefined);
  const machineNoise = wallNoises.length ? Math.max(...wallNoises) : undefined;
  const rows: BenchRow[] = [];
  const verdicts: Verdict[] = [];
  const pct = (rel: number | undefined) => (rel === undefined ? '—' : `±${(rel * 100).toFixed(0)}%`);
  const targetRow = (what: string, figure: string, helmCol: string, ratio: string, target: string, value: number, limit: number, rel: number | undefined, unit: (n: number) => string) => {
    const noise = rel === undefined ? undefined : rel * value;
    const v = verdict(value, limit, noise);
    verdicts.push(v);
    const noiseCol = noise === undefined ? '—' : `±${unit(noise)} (${pct(rel)})`;
    rows.push({ what, figure, helm: helmCol, ratio, target, noise: noiseCol, verdict: v });
  };

  const sMed = med(synthMs);
  targetRow(`npm run synth (wall, median of ${PAIRS})`, formatMs(sMed), formatMs(med(helmMs.filter((_, i) => i % 2 === 0))), fmtX(med(synthRatio)),
    `≤ ${formatMs(TARGET.synthMs)}`, sMed, TARGET.synthMs, noiseOf(synthMs), formatMs);
  const rRatio = med(renderRatio);
  targetRow(`render process: scripts.synth run directly (wall, median of ${PAIRS} pairs)`, formatMs(med(renderMs)), formatMs(med(helmMs.filter((_, i) => i % 2 === 1))), fmtX(rRatio),
    `≤ ${TARGET.renderVsHelm}× helm`, rRatio, TARGET.renderVsHelm, noiseOf(renderRatio), fmtX);
  const memMed = MiB(med(renderKiB));
  const helmMem = helmKiB.length ? MiB(median(helmKiB)) : Number.NaN;
  targetRow(`render process peak memory (maxRSS, median of ${PAIRS})`, fmtMiB(memMed), hasTime ? fmtMiB(helmMem) : 'n/a', fmtX(memMed / helmMem),
    `≤ ${TARGET.renderMiB} MiB`, memMed, TARGET.renderMiB, noiseOf(renderKiB), fmtMiB);
  if (testRun) {
    targetRow('npm test (tsc + jest + dist check, wall, 1 run)', formatMs(testRun.ms), formatMs(helmMedian), fmtX(testRun.ms / helmMedian),
      `≤ ${formatMs(TARGET.testMs)}`, testRun.ms, TARGET.testMs, machineNoise, formatMs);
  }
  const lRatio = med(bigRatio);
  targetRow(`in-process resolve + render: 100 Sidekiq processes, 30 nodes (${bigCount} objects) vs default (${defCount}), median of ${PAIRS} pairs`,
    `${formatMs(median(bigMs))} vs ${formatMs(median(defMs))}`, '—', fmtX(lRatio), `≤ ${TARGET.largeVsDefault}× default`, lRatio, TARGET.largeVsDefault, noiseOf(bigRatio), fmtX);
  rows.push({ what: `node -e 0, this machine's environment${process.env.NODE_EXTRA_CA_CERTS ? ` (NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS})` : ''} (median of ${PAIRS})`,
    figure: formatMs(median(bareMs)), helm: '—', ratio: '—', target: 'informational', noise: '—', verdict: '' });
  if (bareNoCaMs) {
    rows.push({ what: `node -e 0 with NODE_EXTRA_CA_CERTS= (empty), as package.json's synth runs (median of ${PAIRS})`,
      figure: formatMs(median(bareNoCaMs)), helm: '—', ratio: '—', target: 'informational', noise: '—', verdict: '' });
  }
  rows.push({ what: `render process after a source edit: the bundle and its code cache rebuilt (scripts/bundle-run.js; median of ${COLD_RUNS})`,
    figure: formatMs(median(coldMs)), helm: '—', ratio: '—', target: 'informational', noise: '—', verdict: '' });
  if (integrationRun) {
    rows.push({ what: 'npm run test:integration (wall, 1 run)', figure: formatMs(integrationRun.ms), helm: '—', ratio: '—', target: 'none: stated here', noise: pct(machineNoise), verdict: '' });
    if (!integrationRun.ok) verdicts.push('FAILED');
  }
  rows.push({ what: `objects written: dist/ (${perFile}) vs helm template of the chart`, figure: `${distObjects}`, helm: `${chartObjects}`, ratio: '—', target: 'informational', noise: '—', verdict: '' });
  rows.push({ what: `plan default app, in-process (median of ${planRuns}): ${pd.pods.length} pods, ${pd.losses.length} losses, ${pd.ok ? 'ok' : 'NOT OK'}`,
    figure: formatMs(median(planDef.map((p) => p.ms))), helm: '—', ratio: '—', target: 'informational', noise: '—', verdict: '' });
  rows.push({ what: `plan 100 Sidekiq processes, 30 nodes (median of ${planRuns}): ${pb.pods.length} pods, ${pb.losses.length} losses, ${pb.ok ? 'ok' : 'NOT OK'}`,
    figure: formatMs(median(planBig.map((p) => p.ms))), helm: '—', ratio: '—', target: 'informational', noise: '—', verdict: '' });

  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const notes = [
    `Machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, helm ${helmVersion(helm)}; load average ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end (other work on the machine makes every figure noisier).`,
    `Method: a warm-up run of each, then ${PAIRS} rounds of [npm run synth, helm template, scripts.synth, helm template]; each command is paired with the helm run after it and the ratio is the median of the pairs' ratios. Noise of a median is its standard error, √(π/2) × σ / √n, with σ = 1.4826 × the median absolute deviation of the target's samples (of the pair ratios for ratio targets); for the single npm test run it is the largest run-to-run spread σ of this run's wall-time series. A target missed by less than its noise is "MISS (within noise)" and does not fail the bench; a larger miss exits 1.`,
    `The render process is \`${SYNTH_SCRIPT} --output <scratch>\` (package.json scripts.synth, via sh -c with node_modules/.bin on PATH); its tree had ${processes} Node ${processes === 1 ? 'process' : 'processes'}, and the one measured for memory is the one that loaded lib/: ${[...new Set([...renderScripts].map((s) => path.relative(ROOT, s.split(' ')[0]) || s))].join(', ') || 'none'}.`,
    hasTime
      ? `Peak memory: the probe (scripts/bench-probe.js, process.resourceUsage().maxRSS at exit) for the render process; helm's from \`/usr/bin/time -f %M\`. Probe check: the probe's largest process of the tree differs from /usr/bin/time's figure for the same tree by at most ${(Math.max(0, ...probeVsTime) * 100).toFixed(1)}% over ${probeVsTime.length} runs.`
      : 'Peak memory: the probe (scripts/bench-probe.js) for the render process; /usr/bin/time is absent, so helm\'s peak was not measured.',
    `Objects: dist/ holds the Mastodon manifests plus the Argo CD Application and the node tuning; the Helm chart is made from the Mastodon manifests only (CDK8S_MASTODON_ONLY), without the CRDs of the operators.`,
  ];
  const header = `cdk8s-mastodon bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${opt.quick ? ' (--quick: no npm test)' : ''}${opt.integration ? '' : ' (no --integration: the integration suite not timed)'}`;
  const report = formatReport({ header, rows, notes });
  process.stdout.write(`${report}\n`);
  if (opt.readme) {
    const file = path.join(ROOT, 'README.md');
    fs.writeFileSync(file, spliceReadme(fs.readFileSync(file, 'utf8'), report));
    say('wrote the report into README.md');
  }
  return exitCode(verdicts);
}

function helmVersion(helm: string): string {
  const r = spawnSync(helm, ['version', '--short'], { encoding: 'utf8' });
  return (r.stdout ?? '').trim() || 'unknown';
}

main().then((code) => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exitCode = code;
}).catch((e) => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
