/**
 * Writing an output folder so that a failure leaves the old one untouched, shared by
 * `npm run synth` (scripts/synth.ts) and `cdk8s-mastodon synth` in server repositories (cli/):
 * the output is written into a temporary folder beside the target and renamed into place only
 * when the whole write succeeded.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The start of a temporary folder's name (server repositories ignore `.synth-tmp-*` in git). */
const SCRATCH_PREFIX = '.synth-tmp-';

/**
 * The folder the output goes to: `target` itself, or where it points when it is a symlink (as
 * `cdk8s synth` writes through a symlinked output folder), so the link survives the rename.
 */
export function resolveTarget(target: string): string {
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
 * Runs `write` into a temporary folder beside `target` and, when it returns `ok`, renames the
 * result into place (the old `target` is first renamed aside into the temporary folder, because
 * a folder cannot be renamed onto a non-empty one). Otherwise, or when `write` throws, `target`
 * is untouched. The temporary folder is removed either way.
 */
export function writeThenSwap<T extends { readonly ok: boolean }>(target: string, write: (out: string) => T): T {
  target = resolveTarget(target);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(path.dirname(target), SCRATCH_PREFIX));
  try {
    const out = path.join(scratch, 'out');
    const result = write(out);
    if (result.ok) {
      if (fs.existsSync(target)) fs.renameSync(target, path.join(scratch, 'previous'));
      fs.renameSync(out, target);
    }
    return result;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
