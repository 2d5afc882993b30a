import * as path from 'path';
/** The bundled example config, used when MASTODON_CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = path.join(__dirname, '..', 'config', 'example.yaml');
