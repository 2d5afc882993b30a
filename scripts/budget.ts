/** npm run budget: prints the Postgres connection budget of the config as a Markdown table. */
import { formatErrors, loadConfigFile } from '../lib';
import { parseArgsOrExit } from '../cli/args';
import { DEFAULT_CONFIG_FILE } from './paths';
import { formatBudget } from '../lib/rules/database';

parseArgsOrExit('usage: npm run budget\n  -h, --help  print this help\nThe config is MASTODON_CONFIG, else config/example.yaml.', { options: {} });
const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
const r = loadConfigFile(file);
if (!r.ok) {
  process.stderr.write(`${formatErrors(file, r.errors)}\n`);
  process.exit(1);
}
if (!r.config.postgres) {
  console.log('database.mode is external: the budget is yours to keep.');
} else {
  console.log(formatBudget(r.config.postgres.budget));
}
