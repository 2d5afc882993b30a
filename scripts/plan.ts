/** npm run plan [-- --out DIR]: the capacity plan of the config and its picture (cli/plan.ts). The same function as `cdk8s-mastodon plan` in a server repository, on this package's example. */
import { plan } from '../cli/plan';
import { runTool } from '../cli/invocation';
import { LIBRARY } from './paths';

process.exitCode = runTool(plan, process.argv.slice(2), LIBRARY);
