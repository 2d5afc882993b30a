import { describeWriteError, resolveTarget, writeThenSwap } from '../lib/app/swap';
import { files, runApp } from './run-app';

/**
 * synth: the app into a temporary folder, renamed into dist/ only on success (lib/app/swap.ts,
 * the same as this package's own npm run synth: a symlinked dist/ keeps its link).
 */
export function synth(): number {
  let r: { ok: boolean; stderr: string };
  try {
    r = writeThenSwap('dist', (out) => {
      const a = runApp(out, resolveTarget('dist'));
      return { ok: a.status === 0, stderr: a.stderr };
    });
  } catch (e) {
    // A full disk or a read-only folder is one line naming the path; anything else is a defect.
    const line = describeWriteError(e);
    if (!line) throw e;
    r = { ok: false, stderr: `${line}\n` };
  }
  process.stderr.write(r.stderr);
  if (!r.ok) {
    process.stderr.write('synth failed: dist/ was left as it was.\n');
    return 1;
  }
  for (const f of files('dist')) console.log(`  dist/${f}`);
  return 0;
}
