#!/usr/bin/env node
/**
 * npm test: first tsc's incremental build of build/ (tests run the compiled CLI and scripts, so
 * an edit must reach them; nothing changed costs about a second), then the jobs below at the same
 * time (each is mostly one busy process, and the machine has more than one core). jest's output streams as it runs; the others' is printed when they
 * finish. Exits non-zero when any job fails, after all of them ended. Arguments go to jest
 * (e.g. `npm test -- --ci`), except `--base <ref>`: the commit the change guard compares dist/
 * with (test/committed-dist.test.ts; HEAD when left out), e.g. the pull request's base in CI.
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const path = require('path');

const ROOT = path.join(__dirname, '..');

// --base <ref> (or --base=<ref>) is for the change guard, through the environment; jest gets the rest.
const jestArgs = [];
const env = { ...process.env };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--base' && i + 1 < process.argv.length) env.CDK8S_MASTODON_BASE = process.argv[++i];
  else if (a.startsWith('--base=')) env.CDK8S_MASTODON_BASE = a.slice('--base='.length);
  else jestArgs.push(a);
}

const jobs = [
  // package.json's typecheck: tsc --noEmit, incremental.
  { name: 'typecheck', cmd: 'npm', args: ['run', '--silent', 'typecheck'], live: false },
  { name: 'jest', cmd: path.join(ROOT, 'node_modules', '.bin', 'jest'), args: jestArgs, live: true },
  // package.json's lint: eslint with type information.
  { name: 'eslint', cmd: 'npm', args: ['run', '--silent', 'lint'], live: false },
];

const started = Date.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
const built = { job: { name: 'build' }, code: build.status ?? 1, ms: Date.now() - started };
if (built.code !== 0) process.stdout.write(`\n── build: FAILED (tsc -b tsconfig.build.json)\n${build.stdout ?? ''}${build.stderr ?? ''}`);

const runs = jobs.map((job) => new Promise((resolve) => {
  const t0 = Date.now();
  const child = spawn(job.cmd, job.args, { cwd: ROOT, env, stdio: job.live ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  let out = '';
  if (!job.live) {
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
  }
  child.on('error', (e) => resolve({ job, code: 1, out: `${out}${e.message}\n`, ms: Date.now() - t0 }));
  child.on('close', (code, signal) => {
    const r = { job, code: code ?? 1, out, ms: Date.now() - t0 };
    if (!job.live) process.stdout.write(`\n── ${job.name}: ${r.code === 0 ? 'ok' : `FAILED (exit ${code ?? signal})`} in ${seconds(r.ms)}\n${out}`);
    resolve(r);
  });
}));

Promise.all(runs).then((ran) => {
  const results = [built, ...ran];
  const failed = results.filter((r) => r.code !== 0);
  process.stdout.write(`\nnpm test: ${results.map((r) => `${r.job.name} ${r.code === 0 ? 'ok' : 'FAILED'} ${seconds(r.ms)}`).join(', ')}; ${seconds(Date.now() - started)} in all\n`);
  process.exit(failed.length === 0 ? 0 : 1);
});
