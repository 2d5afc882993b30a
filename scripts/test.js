#!/usr/bin/env node
/**
 * npm test: the type check of everything (scripts/typecheck.js: the project and the README's
 * TypeScript blocks), the unit tests (jest) and the dist/
 * freshness check (check-dist) run at the same time, since each is mostly one busy process and
 * the machine has more than one core. jest's output streams as it runs; the others' output is
 * printed when they finish. Exits non-zero when any of the three fails, after all three ended.
 * Arguments go to jest (e.g. `npm test -- --ci`).
 *
 * Plain JavaScript so it starts at once (no ts-node).
 */
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

const jobs = [
  // tsc --noEmit of the project, with the README's ```ts blocks in the same program.
  { name: 'typecheck', cmd: process.execPath, args: [path.join('scripts', 'typecheck.js')], live: false },
  { name: 'jest', cmd: bin('jest'), args: process.argv.slice(2), live: true },
  // package.json's check-dist, as written there (its Node flags included).
  { name: 'check-dist', cmd: 'npm', args: ['run', '--silent', 'check-dist'], live: false },
  // package.json's lint: eslint with type information.
  { name: 'eslint', cmd: 'npm', args: ['run', '--silent', 'lint'], live: false },
];

const started = Date.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const runs = jobs.map((job) => new Promise((resolve) => {
  const t0 = Date.now();
  const child = spawn(job.cmd, job.args, { cwd: ROOT, stdio: job.live ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  let out = '';
  if (!job.live) {
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
  }
  child.on('error', (e) => resolve({ job, code: 1, out: `${out}${e.message}\n`, ms: Date.now() - t0 }));
  child.on('close', (code, signal) => {
    const r = { job, code: code ?? 1, signal, out, ms: Date.now() - t0 };
    if (!job.live) process.stdout.write(`\n── ${job.name}: ${r.code === 0 ? 'ok' : `FAILED (exit ${code ?? signal})`} in ${seconds(r.ms)}\n${out}`);
    resolve(r);
  });
}));

Promise.all(runs).then((results) => {
  const failed = results.filter((r) => r.code !== 0);
  process.stdout.write(`\nnpm test: ${results.map((r) => `${r.job.name} ${r.code === 0 ? 'ok' : 'FAILED'} ${seconds(r.ms)}`).join(', ')}; ${seconds(Date.now() - started)} in all\n`);
  process.exit(failed.length === 0 ? 0 : 1);
});
