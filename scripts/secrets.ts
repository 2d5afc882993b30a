/** npm run secrets [-- --name NAME --namespace NS | --skeletons]: the Mastodon Secret, or placeholders for the others (cli/secrets.ts). The same function as `cdk8s-mastodon secrets` in a server repository, on this package's example. */
import { secrets } from '../cli/secrets';
import { runTool } from '../cli/invocation';
import { LIBRARY } from './paths';

process.exitCode = runTool(secrets, process.argv.slice(2), LIBRARY);
