/**
 * Fails when the committed dist/ differs from a fresh synth of the committed source. It
 * synthesizes in this process (the fast path of `npm run synth`, config/example.yaml); that
 * this writes the same bytes as the real `cdk8s synth` is checked by
 * test/integration/synth-equivalence.itest.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_CONFIG_FILE } from './paths';
import { synthInto } from './synth';

const ROOT = path.join(__dirname, '..');

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-dist-'));
try {
  const out = path.join(tmp, 'dist');
  const r = synthInto(DEFAULT_CONFIG_FILE, out);
  if (!r.ok) {
    console.error(r.report);
    console.error('check-dist: synth failed');
    process.exit(1);
  }
  const dist = path.join(ROOT, 'dist');
  const a = files(dist);
  const b = files(out);
  const problems: string[] = [];
  for (const f of new Set([...a, ...b])) {
    if (!a.includes(f)) problems.push(`dist/${f} is missing`);
    else if (!b.includes(f)) problems.push(`dist/${f} is not produced by synth any more`);
    else if (!fs.readFileSync(path.join(dist, f)).equals(fs.readFileSync(path.join(out, f)))) problems.push(`dist/${f} differs`);
  }
  if (problems.length > 0) {
    console.error(`check-dist: dist/ is stale:\n  ${problems.join('\n  ')}\nRun 'npm run synth' and commit dist/.`);
    process.exit(1);
  }
  console.log(`check-dist: dist/ matches a fresh synth (${b.length} file${b.length === 1 ? '' : 's'})`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
