/**
 * The one check that the committed dist/ is what synth makes: the example config synthesized
 * into a temporary folder (the same synthesizeApp that main.ts, the cdk8s app, runs) must hold
 * exactly dist/'s files, byte for byte.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesizeApp } from '../lib';
import { EXAMPLE_FILE, ROOT } from './support/fixtures';

const FIX = 'run `npm run synth` and commit dist/';

/** Every file under a folder, relative to it, sorted. */
function files(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

test('dist/ is exactly what synth makes from config/example.yaml', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-dist-'));
  try {
    const out = path.join(tmp, 'dist');
    const r = synthesizeApp(EXAMPLE_FILE, out);
    if (!r.ok) throw new Error(`synth of the example failed:\n${r.report}`);
    const dist = path.join(ROOT, 'dist');
    const want = files(out);
    const have = files(dist);
    const problems = [
      ...want.filter((f) => !have.includes(f)).map((f) => `dist/${f} is missing`),
      ...have.filter((f) => !want.includes(f)).map((f) => `dist/${f} is not made by synth any more`),
      ...want.filter((f) => have.includes(f) && !fs.readFileSync(path.join(dist, f)).equals(fs.readFileSync(path.join(out, f)))).map((f) => `dist/${f} differs`),
    ];
    if (problems.length > 0) throw new Error(`dist/ is stale (${FIX}):\n  ${problems.join('\n  ')}`);
    expect(want.length).toBeGreaterThan(0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
