/**
 * npm run synth [-- --output DIR]: synthesizes the app in this process (the same
 * `synthesizeApp` that main.ts, the cdk8s.yaml app, calls) into a scratch folder next to dist/
 * (or DIR), then renames it into place. A failed synth (bad config, a thrown error) leaves dist/
 * as it was. Reads MASTODON_CONFIG (default config/example.yaml) and prints the config's
 * warnings on stderr.
 *
 * package.json's `synth` runs the compiled file (build/scripts/synth.js, after an incremental
 * `tsc -b`). The real `cdk8s synth` still works and writes the same bytes;
 * test/integration/synth-equivalence.itest.ts compares the two.
 */
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeApp } from '../lib/app/synthesize';
import { describeWriteError, resolveTarget, writeThenSwap } from '../lib/app/swap';
import { parseArgsOrExit } from '../cli/args';
import { DEFAULT_CONFIG_FILE, ROOT } from './paths';

const USAGE = `usage: npm run synth [-- --output DIR]
  -o, --output DIR  write the manifests into DIR (default: dist/)
  -h, --help        print this help
The config is MASTODON_CONFIG, else config/example.yaml.`;

/** What {@link synthInto} did. */
export type SynthOutcome =
  | { readonly ok: true; readonly files: readonly string[]; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly report: string };

/**
 * Synthesizes the config file into `target`: everything is written into a temporary folder
 * beside `target` and renamed into place only when the whole synth succeeded
 * (lib/app/swap.ts). On failure `target` is untouched and the report says why.
 * `synthesize` is the app (tests pass one that fails half-way).
 */
export function synthInto(configFile: string, target: string, synthesize: typeof synthesizeApp = synthesizeApp): SynthOutcome {
  target = resolveTarget(target);
  // A refusal of the file system (full disk, read-only folder) is one line naming the path;
  // anything else thrown is a defect, reported with its stack.
  const failure = (e: unknown) => describeWriteError(e, target) ?? `synth failed with an internal error (please report it): ${(e as Error).stack ?? String(e)}`;
  try {
    const r = writeThenSwap(target, (out): { ok: true; warnings: readonly string[] } | { ok: false; report: string } => {
      try {
        const result = synthesize(configFile, out, { baseline: target });
        return result.ok ? { ok: true, warnings: result.warnings } : { ok: false, report: result.report };
      } catch (e) {
        return { ok: false, report: failure(e) };
      }
    });
    return r.ok ? { ok: true, files: fs.readdirSync(target).sort(), warnings: r.warnings } : r;
  } catch (e) {
    return { ok: false, report: failure(e) };
  }
}

if (require.main === module) {
  const { values } = parseArgsOrExit(USAGE, { options: { output: { type: 'string', short: 'o' } } });
  const target = path.resolve(values.output ?? path.join(ROOT, 'dist'));
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
