/**
 * The cdk8s app: reads the config named by MASTODON_CONFIG (or the bundled example), and
 * synthesizes it. On bad input it lists every problem and exits non-zero before writing.
 */
import { synthesizeApp } from './lib';
import { DEFAULT_CONFIG_FILE } from './scripts/paths';

const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
const result = synthesizeApp(file, process.env.CDK8S_OUTDIR || 'dist');
if (!result.ok) {
  process.stderr.write(`${result.report}\n`);
  process.exit(1);
}
for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
