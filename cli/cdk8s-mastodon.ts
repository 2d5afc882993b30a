#!/usr/bin/env node
/**
 * cdk8s-mastodon: the command a server repository uses.
 *   init <dir> [--domain D] [--name N] [--repo-url URL] [--package-spec SPEC] [--force] [--no-install]
 *   synth | test | plan | routes | secrets [--skeletons]   (inside a repository made by init)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { parseAllDocuments, stringify } from 'yaml';
import { writeThenSwap } from '../lib/app/swap';
import { CONFIG, die, lib, loadOrDie } from './common';
import { init } from './init';

/**
 * Runs the project's main.ts (their app, which may add constructs) into `outdir`, with ts-node's
 * transpile-only require hook from the repository's own devDependencies (no type check here:
 * the editor and tsc do that).
 */
function runApp(outdir: string): { status: number; stderr: string } {
  let register: string;
  try {
    register = require.resolve('ts-node/register/transpile-only', { paths: [process.cwd()] });
  } catch {
    die('ts-node is not installed here; run npm ci first');
  }
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_OUTDIR: outdir, MASTODON_CONFIG: CONFIG };
  const r = spawnSync(process.execPath, ['-r', register, 'main.ts'], { encoding: 'utf8', env });
  return { status: r.status ?? 1, stderr: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/**
 * synth: the app into a temporary folder, renamed into dist/ only on success (lib/app/swap.ts,
 * the same as this package's own npm run synth: a symlinked dist/ keeps its link).
 */
function synth(): number {
  const r = writeThenSwap('dist', (out) => {
    const a = runApp(out);
    return { ok: a.status === 0, stderr: a.stderr };
  });
  process.stderr.write(r.stderr);
  if (!r.ok) {
    process.stderr.write('synth failed: dist/ was left as it was.\n');
    return 1;
  }
  for (const f of files('dist')) console.log(`  dist/${f}`);
  return 0;
}

function distObjects(): any[] {
  return files('dist').filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join('dist', f), 'utf8')).map((d) => d.toJS()).filter((o) => o));
}

/** test: the config validates, dist/ is fresh, the plan holds (N−1), every object validates strictly. */
function test(): number {
  const { formatErrors, formatPlan, loadConfigFile, nodesFromInventory, plan } = lib();
  const failures: string[] = [];
  const ok = (what: string) => console.log(`ok    ${what}`);
  const fail = (what: string, detail: string) => { failures.push(what); console.log(`FAIL  ${what}\n${detail.replace(/^/gm, '      ')}`); };
  const loaded = loadConfigFile(CONFIG);
  if (!loaded.ok) {
    fail(`${CONFIG} is valid`, formatErrors(CONFIG, loaded.errors));
    return 1;
  }
  ok(`${CONFIG} is valid`);
  const scratch = fs.mkdtempSync(path.join(process.cwd(), '.synth-tmp-'));
  try {
    const out = path.join(scratch, 'dist');
    const r = runApp(out);
    if (r.status !== 0) {
      fail('main.ts synthesizes', r.stderr);
    } else {
      const a = files('dist');
      const b = files(out);
      const stale = [...new Set([...a, ...b])].filter((f) => !a.includes(f) || !b.includes(f)
        || !fs.readFileSync(path.join('dist', f)).equals(fs.readFileSync(path.join(out, f))));
      if (stale.length > 0) fail('dist/ is fresh', `${stale.map((f) => `dist/${f}`).join(', ')} differ from a fresh synth: run npm run synth and commit dist/`);
      else ok(`dist/ is fresh (${b.length} files)`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const objects = distObjects();
  const c = loaded.config;
  const report = plan(objects.filter((o) => o.kind !== 'Application' && o.kind !== 'AppProject'),
    nodesFromInventory(c.nodes.inventory, c.nodes.poolLabel, c.nodes.reserve));
  if (report.ok) ok(`the pods fit on ${c.nodes.inventory.length} nodes, after losing any one of them too, and every rollout has room`);
  else fail('the plan holds (N−1)', formatPlan(report));
  // The strict validators, compiled from the Kubernetes schemas and CRDs when the package was built.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by this command: the validators are megabytes of code
  const { K8S_VERSIONS, K8sValidator } = require('../lib/app/k8s-validator') as typeof import('../lib/app/k8s-validator');
  for (const v of K8S_VERSIONS) {
    const bad = new K8sValidator(v).validateAll(objects);
    if (bad.length === 0) ok(`${objects.length} objects pass strict Kubernetes ${v} schema validation (and their CRDs)`);
    else fail(`strict schema validation (${v})`, bad.map((b) => `${b.object}: ${b.errors.join('; ')}`).join('\n'));
  }
  console.log(failures.length === 0 ? '\nall checks passed' : `\n${failures.length} check(s) failed`);
  return failures.length === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'init': return init(rest);
    case 'synth': return synth();
    case 'test': return test();
    case 'plan': {
      const { formatPlan, nodesFromInventory, plan, renderManifests } = lib();
      const c = loadOrDie();
      const report = plan(renderManifests(c), nodesFromInventory(c.nodes.inventory, c.nodes.poolLabel, c.nodes.reserve));
      console.log(formatPlan(report));
      return report.ok ? 0 : 1;
    }
    case 'routes': {
      const { formatPublicRoutes } = lib();
      const c = loadOrDie();
      if (!c.tunnel) die(`${CONFIG}: no tunnel is configured; add a tunnel section (mode: local or remote)`);
      console.log(formatPublicRoutes(c));
      return 0;
    }
    case 'secrets': {
      const { renderManifests, renderMastodonSecret, secretSkeletons } = lib();
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, namespace: { type: 'string' }, skeletons: { type: 'boolean' } } });
      const c = values.skeletons || !values.name || !values.namespace ? loadOrDie() : undefined;
      if (values.skeletons && c) {
        const docs = secretSkeletons(renderManifests(c), { mastodon: c.mastodon }).map((s) => `# used by: ${s.usedBy.join(', ')}\n${stringify({
          apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: values.namespace ?? c.namespace }, type: 'Opaque',
          stringData: Object.fromEntries(s.keys.map((k) => [k, `REPLACE-with-${k}`])),
        }).trimEnd()}`);
        process.stdout.write(`${docs.join('\n---\n')}\n`);
      } else {
        process.stdout.write(renderMastodonSecret(values.name ?? c!.mastodon.secretName, values.namespace ?? c!.namespace));
      }
      return 0;
    }
    default:
      die('usage: cdk8s-mastodon init <dir> | synth | test | plan | routes | secrets [--skeletons]');
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => die(String(e?.stack ?? e)));
