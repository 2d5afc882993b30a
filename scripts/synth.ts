/**
 * npm run synth [-- --output DIR]: synthesizes the app in this process (the same
 * `synthesizeApp` that main.ts, the cdk8s.yaml app, calls) into a scratch folder next to dist/
 * (or DIR), then swaps it in. A failed synth (bad config, a thrown error, a killed process)
 * leaves dist/ as it was. Reads MASTODON_CONFIG (default config/example.yaml) and prints the
 * config's warnings on stderr.
 *
 * It runs as package.json's `synth` command: the esbuild bundle of this file run by
 * scripts/bundle-run.js (see that file), not ts-node and not the cdk8s CLI: one Node process,
 * no TypeScript compiler. The real `cdk8s synth` still works and
 * writes the same bytes; test/integration/synth-equivalence.itest.ts compares the two.
 * README "How synth is fast" has the figures.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { synthesizeApp } from '../lib/synthesize';
import { resolveTarget, writeThenSwap } from '../lib/tools/swap';
import { DEFAULT_CONFIG_FILE } from './paths';

/** What {@link synthInto} did. */
export type SynthOutcome =
  | { readonly ok: true; readonly files: readonly string[]; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly report: string };

/**
 * Synthesizes the config file into `target`, atomically from the reader's side: everything is
 * written into a scratch folder beside `target` and swapped in by two renames only when the
 * whole synth succeeded. On failure `target` is untouched and the report says why.
 * `synthesize` is the app (tests pass one that fails half-way).
 */
export function synthInto(configFile: string, target: string, synthesize: typeof synthesizeApp = synthesizeApp): SynthOutcome {
  target = resolveTarget(target);
  const r = writeThenSwap(target, (out): { ok: true; warnings: readonly string[] } | { ok: false; report: string } => {
    try {
      const result = synthesize(configFile, out);
      return result.ok ? { ok: true, warnings: result.warnings } : { ok: false, report: result.report };
    } catch (e) {
      // Not bad input (that is reported above without throwing): a defect. Say where.
      return { ok: false, report: `synth failed with an internal error (please report it): ${(e as Error).stack ?? String(e)}` };
    }
  });
  return r.ok ? { ok: true, files: fs.readdirSync(target).sort(), warnings: r.warnings } : r;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { output: { type: 'string', short: 'o' } } });
  const target = path.resolve(values.output ?? path.join(__dirname, '..', 'dist'));
  const r = synthInto(process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE, target);
  if (!r.ok) {
    process.stderr.write(`${r.report}\n`);
    process.stderr.write(`synth failed: ${path.relative(process.cwd(), target) || '.'}/ was left as it was.\n`);
    process.exitCode = 1;
  } else {
    for (const f of r.files) console.log(`  ${path.relative(process.cwd(), path.join(target, f))}`);
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  }
}
