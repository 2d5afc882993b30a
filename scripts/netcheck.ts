/** npm run netcheck [-- report FILE | restarts] [-- --out DIR]: the network doctor (cli/netcheck.ts). The same function as `cdk8s-mastodon netcheck` in a server repository, on this package's example. */
import { netcheck } from '../cli/netcheck';
import { runTool } from '../cli/invocation';
import { LIBRARY } from './paths';

process.exitCode = runTool(netcheck, process.argv.slice(2), LIBRARY);
