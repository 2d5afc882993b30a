/**
 * npm run routes: prints the public host names and the Services behind them for the config
 * (MASTODON_CONFIG or the example), for entering a remotely managed tunnel's routes in the
 * Cloudflare dashboard.
 */
import { formatErrors, loadConfigFile } from '../lib';
import { parseArgsOrExit } from '../cli/args';
import { DEFAULT_CONFIG_FILE } from './paths';
import { formatAuthCallbacks, formatPublicRoutes } from '../lib/rules/public-routes';

parseArgsOrExit('usage: npm run routes\n  -h, --help  print this help\nThe config is MASTODON_CONFIG, else config/example.yaml.', { options: {} });
const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
const r = loadConfigFile(file);
if (!r.ok) {
  process.stderr.write(`${formatErrors(file, r.errors)}\n`);
  process.exit(1);
}
if (!r.config.tunnel && formatAuthCallbacks(r.config)) {
  console.log(formatAuthCallbacks(r.config));
  process.exit(0);
}
if (!r.config.tunnel) {
  process.stderr.write(`${file}: no tunnel is configured; add a tunnel section (mode: local or remote)\n`);
  process.exit(1);
}
console.log(formatPublicRoutes(r.config));
