/**
 * npm run synth: `cdk8s synth` into a scratch folder, then swap it into dist/. The CLI empties
 * its output folder before it runs the app, so synthesizing straight into dist/ would lose the
 * previous manifests on bad input; this way a failed synth leaves dist/ untouched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cdk8sSynth, ROOT } from './cdk8s-cli';

const DIST = path.join(ROOT, 'dist');
const scratch = fs.mkdtempSync(path.join(ROOT, '.synth-tmp-'));
try {
  const out = path.join(scratch, 'dist');
  const r = cdk8sSynth(out);
  if (r.status !== 0) {
    process.stderr.write(r.stderr.replace(/\n?Error: command .*non-zero exit code 1[\s\S]*$/, '\n'));
    process.stderr.write('synth failed: dist/ was left as it was.\n');
    process.exitCode = 1;
  } else {
    const old = path.join(scratch, 'previous');
    if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
    fs.renameSync(out, DIST);
    for (const f of fs.readdirSync(DIST).sort()) console.log(`  dist/${f}`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
