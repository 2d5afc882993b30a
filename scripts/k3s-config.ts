/** npm run k3s-config [-- --out DIR]: each node's k3s config file (cli/k3s-config.ts). The same function as `cdk8s-mastodon k3s-config` in a server repository, on this package's example. */
import { k3sConfig } from '../cli/k3s-config';
import { runTool } from '../cli/invocation';
import { LIBRARY } from './paths';

process.exitCode = runTool(k3sConfig, process.argv.slice(2), LIBRARY);
