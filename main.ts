/**
 * The cdk8s app: reads the config named by MASTODON_CONFIG (or the bundled example), and
 * synthesizes it. On bad input it lists every problem and exits non-zero before writing.
 */
import { synthesizeApp } from './lib';
import { DEFAULT_CONFIG_FILE } from './scripts/paths';

const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
// The Helm chart is made from the Mastodon manifests only (npm run synth:helm sets this).
const mastodonOnly = process.env.CDK8S_MASTODON_ONLY === 'true';
const result = synthesizeApp(file, process.env.CDK8S_OUTDIR || 'dist', { mastodonOnly });
if (!result.ok) {
  process.stderr.write(`${result.report}\n`);
  process.exit(1);
}
for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
