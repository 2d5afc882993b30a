/** npm run budget: the Postgres connection budget of the config (cli/budget.ts). The same function as `cdk8s-mastodon budget` in a server repository, on this package's example. */
import { budget } from '../cli/budget';
import { runTool } from '../cli/invocation';
import { LIBRARY } from './paths';

process.exitCode = runTool(budget, process.argv.slice(2), LIBRARY);
