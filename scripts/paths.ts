import * as path from 'path';
import type { Invocation } from '../cli/invocation';
import { packageRoot } from '../lib/app/package-root';

/** The repository root, whether this runs from scripts/ (ts-node, jest) or build/scripts/ (npm scripts). */
export const ROOT = packageRoot();
/** The bundled example config, used when MASTODON_CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = path.join(ROOT, 'config', 'example.yaml');

/**
 * This package's npm scripts: MASTODON_CONFIG, else the example; the plan's pictures in .plan/
 * (git-ignored; the README's are `--out docs/plan` of the example), the Helm chart in chart/.
 */
export const LIBRARY: Invocation = {
  style: 'npm',
  configFile: process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE,
  configNote: 'The config is MASTODON_CONFIG, else config/example.yaml.',
  planOut: path.join(ROOT, '.plan'),
  chartOut: path.join(ROOT, 'chart'),
};
