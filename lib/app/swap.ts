/**
 * Writing an output folder atomically from the reader's side, shared by `npm run synth`
 * (scripts/synth.ts) and `cdk8s-mastodon synth` in server repositories (cli/): the output is
 * written into a scratch folder beside the target and swapped in by two renames only when the
 * whole write succeeded; scratch folders of killed processes are recovered by the next run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The start of a scratch folder's name (server repositories ignore `.synth-tmp-*` in git). */
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
export function recoverAbandoned(target: string): void {
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
    try {
      if (!fs.existsSync(target) && fs.existsSync(previous)) swapRenames.rename(previous, target);
    } catch (e) {
      // Another run recovering the same folder got there first: the target is back either way.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The folder the output goes to: `target` itself, or where it points when it is a symlink (as
 * `cdk8s synth` writes through a symlinked output folder), so the link survives the swap.
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

/** The renames of the swap; a test replaces `rename` to stage another synth racing this one. */
export const swapRenames = { rename: (from: string, to: string): void => fs.renameSync(from, to) };

/**
 * Runs `write` into a scratch folder beside `target` (a symlinked target: beside the folder it
 * points to) and, when it returns `ok`, swaps the result in: `target` moves into the scratch
 * folder, the new output takes its name. Otherwise (or when `write` throws) `target` is untouched.
 * The scratch folder is removed either way; a process killed between the two renames leaves
 * `target` in its scratch folder, and the next call puts it back. Two calls at once on the same
 * target both succeed; the one that finishes last wins.
 */
export function writeThenSwap<T extends { readonly ok: boolean }>(target: string, write: (out: string) => T): T {
  target = resolveTarget(target);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  recoverAbandoned(target);
  const scratch = fs.mkdtempSync(path.join(path.dirname(target), scratchPrefix(target)));
  try {
    const out = path.join(scratch, 'dist');
    const result = write(out);
    if (!result.ok) return result;
    // Another synth of the same target may swap between our two renames (two terminals, an
    // editor's synth-on-save): then its output is in place; move it aside too and try again, so
    // the last one to finish wins and neither fails. A target that vanished meanwhile is fine.
    for (let attempt = 0; ; attempt++) {
      try {
        swapRenames.rename(target, path.join(scratch, attempt === 0 ? 'previous' : `previous-${attempt}`));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      try {
        swapRenames.rename(out, target);
        return result;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 4) throw e;
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** What the file system's refusals mean, in the words a user acts on. */
const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file is in the way',
  EISDIR: 'a folder is in the way',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  EIO: 'an input/output error from the device',
};

/**
 * One line for an error the file system raised (a full disk, a read-only folder, a file where a
 * folder belongs): what happened and where (`where` when the error names no path), so the caller
 * can report it without a stack.
 * `undefined` for any other error, which is a defect worth its stack.
 */
export function describeWriteError(e: unknown, where?: string): string | undefined {
  const err = e as NodeJS.ErrnoException;
  const meaning = typeof err?.code === 'string' ? WRITE_ERRORS[err.code] : undefined;
  if (!meaning) return undefined;
  return `cannot write ${err.path ?? where ?? 'the output'}: ${meaning} (${err.code})`;
}
