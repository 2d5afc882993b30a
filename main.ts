/**
 * The cdk8s app: reads the config named by MASTODON_CONFIG (or the bundled example), and
 * synthesizes it. On bad input it lists every problem and exits non-zero before writing.
 */
import { App, YamlOutputType } from 'cdk8s';
import { formatErrors, loadConfigFile, MastodonChart } from './lib';
import { DEFAULT_CONFIG_FILE } from './scripts/paths';

/** The config used when MASTODON_CONFIG is not set. */
export const DEFAULT_CONFIG = DEFAULT_CONFIG_FILE;

const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG;
const result = loadConfigFile(file);
if (!result.ok) {
  process.stderr.write(`${formatErrors(file, result.errors)}\n`);
  process.exit(1);
}
for (const w of result.config.warnings) process.stderr.write(`warning: ${w}\n`);
const app = new App({ outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
new MastodonChart(app, 'mastodon', { config: result.config });
app.synth();
