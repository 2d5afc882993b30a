/** Runs the real `cdk8s synth` into a directory; shared by synth, synth-helm and bench. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT } from './paths';

export { ROOT };

/** Synthesizes the app with the cdk8s CLI into `outdir`. Returns the exit status and output. */
export function cdk8sSynth(outdir: string, env: NodeJS.ProcessEnv = {}, extraArgs: string[] = []): { status: number; stdout: string; stderr: string } {
  const cli = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
  const r = spawnSync(cli, ['synth', '--output', outdir, ...extraArgs], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env },
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
