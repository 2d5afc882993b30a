import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { CONFIG, lib } from './common';
import { files, runApp } from './run-app';

/** The objects in dist/'s YAML files. */
function distObjects(): any[] {
  return files('dist').filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join('dist', f), 'utf8')).map((d) => d.toJS()).filter((o) => o));
}

/**
 * test: the config validates, dist/ is fresh, dist/ holds no unacknowledged destructive change
 * against the committed dist/ (at `base`, else HEAD), the plan holds (N−1), every object
 * validates strictly.
 */
export function test(base?: string): number {
  const { formatErrors, formatPlan, guardAgainstCommit, loadConfigFile, nodesFromInventory, plan } = lib();
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
  const guard = guardAgainstCommit('dist', loaded.config.acknowledge, CONFIG, base ?? 'HEAD');
  if (guard.status === 'blocked') fail(`dist/ holds no unacknowledged destructive change against ${base ?? 'HEAD'}`, guard.report);
  else if (guard.status === 'skipped') console.log(`skip  ${guard.report}`);
  else ok(`dist/ holds no unacknowledged destructive change against ${base ?? 'HEAD'}${guard.report ? `\n${guard.report.replace(/^/gm, '      ')}` : ''}`);
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
