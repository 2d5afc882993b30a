/**
 * Running a server repository's own app (its main.ts), as synth and test do.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG, die } from './common';

/**
 * Runs the project's main.ts (their app, which may add constructs) into `outdir`, with ts-node's
 * transpile-only require hook from the repository's own devDependencies (no type check here:
 * the editor and tsc do that). `baseline` is the folder the change guard compares the output with.
 */
export function runApp(outdir: string, baseline?: string): { status: number; stderr: string } {
  let register: string;
  try {
    register = require.resolve('ts-node/register/transpile-only', { paths: [process.cwd()] });
  } catch {
    die('ts-node is not installed here; run npm ci first');
  }
  // The change guard in synthesizeApp compares the output with `baseline` (dist/ as it is); none: nothing.
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_OUTDIR: outdir, MASTODON_CONFIG: CONFIG, CDK8S_MASTODON_BASELINE: baseline ?? '' };
  const r = spawnSync(process.execPath, ['-r', register, 'main.ts'], { encoding: 'utf8', env });
  return { status: r.status ?? 1, stderr: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The files (not folders) directly in `dir`, sorted; none when it does not exist. */
export function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}
