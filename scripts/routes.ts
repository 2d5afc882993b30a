/** npm run routes: the tunnel's public routes, for the Cloudflare dashboard (cli/routes.ts). The same function as `cdk8s-mastodon routes` in a server repository, on this package's example. */
import { routes } from '../cli/routes';
import { runTool } from '../cli/invocation';
import { LIBRARY } from './paths';

process.exitCode = runTool(routes, process.argv.slice(2), LIBRARY);
