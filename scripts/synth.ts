/**
 * npm run synth [-- --output DIR]: synthesizes the app in this process (the same
 * `synthesizeApp` that main.ts, the cdk8s.yaml app, calls) into a scratch folder next to dist/
 * (or DIR), then swaps it in. A failed synth (bad config, a thrown error, a killed process)
 * leaves dist/ as it was. Reads MASTODON_CONFIG (default config/example.yaml) and prints the
 * config's warnings on stderr.
 *
 * It runs under `node -r ./scripts/ts-register.js` (see that file), not ts-node and not the
 * cdk8s CLI: one Node process, no TypeScript compiler. The real `cdk8s synth` still works and
 * writes the same bytes; test/integration/synth-equivalence.itest.ts compares the two.
 * README "How synth is fast" has the figures.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { synthesizeApp } from '../lib/synthesize';
import { DEFAULT_CONFIG_FILE } from './paths';

/** What {@link synthInto} did. */
export type SynthOutcome =
  | { readonly ok: true; readonly files: readonly string[]; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly report: string };

const SCRATCH_PREFIX = '.synth-tmp-';

/** A name part made of word characters and dots only (so `-` separates the parts unambiguously). */
const namePart = (s: string) => s.replace(/[^\w.]/g, '_');

/**
 * The start of a scratch folder's name: `.synth-tmp-<host>-<pid>-<target>-`. The host is part of
 * it because a PID only means something on its own machine: on a folder shared between hosts
 * (NFS, a bind mount into a container with its own PID namespace and hostname) another host's
 * live synth must never be taken for a dead one here.
 */
export function scratchPrefix(target: string, host: string = os.hostname(), pid: number = process.pid): string {
  return `${SCRATCH_PREFIX}${namePart(host)}-${pid}-${namePart(path.basename(target))}-`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Scratch folders of synth processes of this host that died (killed, out of memory): removed,
 * and if one died between its two renames (dist/ moved aside, the new one not yet in place), its
 * `previous` folder is put back first, so dist/ is never lost. Scratch folders of other hosts
 * are left alone (their PIDs cannot be checked from here).
 */
function recoverAbandoned(target: string): void {
  const parent = path.dirname(target);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mine = new RegExp(`^${escape(SCRATCH_PREFIX)}${escape(namePart(os.hostname()))}-(\\d+)-${escape(namePart(path.basename(target)))}-`);
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of entries) {
    const m = mine.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    const dir = path.join(parent, name);
    const previous = path.join(dir, 'previous');
    if (!fs.existsSync(target) && fs.existsSync(previous)) fs.renameSync(previous, target);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The folder the output goes to: `target` itself, or where it points when it is a symlink (as
 * `cdk8s synth` writes through a symlinked output folder), so the link survives the swap.
 */
function resolveTarget(target: string): string {
  target = path.resolve(target);
  try {
    return fs.realpathSync(target);
  } catch {
    // Not there yet; a dangling link still names where the output belongs.
  }
  try {
    return path.resolve(path.dirname(target), fs.readlinkSync(target));
  } catch {
    return target;
  }
}

/**
 * Synthesizes the config file into `target`, atomically from the reader's side: everything is
 * written into a scratch folder beside `target` and swapped in by two renames only when the
 * whole synth succeeded. On failure `target` is untouched and the report says why.
 * `synthesize` is the app (tests pass one that fails half-way).
 */
export function synthInto(configFile: string, target: string, synthesize: typeof synthesizeApp = synthesizeApp): SynthOutcome {
  target = resolveTarget(target);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  recoverAbandoned(target);
  const scratch = fs.mkdtempSync(path.join(path.dirname(target), scratchPrefix(target)));
  try {
    const out = path.join(scratch, 'dist');
    let result;
    try {
      result = synthesize(configFile, out);
    } catch (e) {
      // Not bad input (that is reported above without throwing): a defect. Say where.
      return { ok: false, report: `synth failed with an internal error (please report it): ${(e as Error).stack ?? String(e)}` };
    }
    if (!result.ok) return { ok: false, report: result.report };
    const old = path.join(scratch, 'previous');
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(out, target);
    return { ok: true, files: fs.readdirSync(target).sort(), warnings: result.warnings };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
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
