import * as path from 'path';
import { packageRoot } from '../lib/app/package-root';

/** The repository root, whether this runs from scripts/ (ts-node, jest) or build/scripts/ (npm scripts). */
export const ROOT = packageRoot();
/** The bundled example config, used when MASTODON_CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = path.join(ROOT, 'config', 'example.yaml');
