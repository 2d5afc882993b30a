/**
 * Fails when the committed dist/ differs from a fresh `cdk8s synth` of the committed source.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cdk8sSynth, ROOT } from './cdk8s-cli';

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
  const r = cdk8sSynth(out, { MASTODON_CONFIG: '' });
  if (r.status !== 0) {
    console.error(r.stderr);
    console.error('check-dist: cdk8s synth failed');
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
