/**
 * npm run synth [-- --output DIR]: `cdk8s synth` into a scratch folder, then swap it into dist/
 * (or DIR). The CLI empties its output folder before it runs the app, so synthesizing straight
 * into dist/ would lose the previous manifests on bad input; this way a failed synth leaves
 * dist/ untouched. Reads MASTODON_CONFIG (default config/example.yaml). Prints the config's
 * warnings (they come on the app's stderr, which the CLI only shows on failure).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { cdk8sSynth, ROOT } from './cdk8s-cli';

const { values } = parseArgs({ options: { output: { type: 'string', short: 'o' } } });
const DIST = path.resolve(values.output ?? path.join(ROOT, 'dist'));
fs.mkdirSync(path.dirname(DIST), { recursive: true });
const scratch = fs.mkdtempSync(path.join(path.dirname(DIST), '.synth-tmp-'));
try {
  const out = path.join(scratch, 'dist');
  const r = cdk8sSynth(out);
  if (r.status !== 0) {
    process.stderr.write(r.stderr.replace(/\n?Error: command .*non-zero exit code 1[\s\S]*$/, '\n'));
    process.stderr.write(`synth failed: ${path.relative(process.cwd(), DIST) || '.'}/ was left as it was.\n`);
    process.exitCode = 1;
  } else {
    const old = path.join(scratch, 'previous');
    if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
    fs.renameSync(out, DIST);
    for (const f of fs.readdirSync(DIST).sort()) console.log(`  ${path.relative(process.cwd(), path.join(DIST, f))}`);
    // The CLI passes the app's stderr through only when it fails; the warnings are ours to show.
    for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) if (line.startsWith('warning: ')) process.stderr.write(`${line}\n`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
