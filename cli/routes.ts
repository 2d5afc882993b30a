import { parseArgsOrExit } from './args';
import { die, lib } from './common';
import { Invocation, loadConfigOrExit, synopsis } from './invocation';

/** What `routes --help` prints. */
export const routesUsage = (inv: Invocation) => `${synopsis(inv, 'routes')}
Prints the tunnel's public host names, paths and the Services behind them, in match order: with
tunnel.mode remote, the Public Hostnames to enter in the Cloudflare dashboard.
  -h, --help  print this help
${inv.configNote}`;

/** routes: the tunnel's public routes (hostname, path, service), as text to follow in the Cloudflare dashboard. */
export function routes(args: string[], inv: Invocation): number {
  parseArgsOrExit(routesUsage(inv), { args, options: {} });
  const { formatAuthCallbacks, formatPublicRoutes } = lib();
  const c = loadConfigOrExit(inv);
  // Without a tunnel there are no routes, but single sign-on still needs its callback URLs.
  const callbacks = formatAuthCallbacks(c);
  if (!c.tunnel && callbacks) {
    console.log(callbacks);
    return 0;
  }
  if (!c.tunnel) die(`${inv.configFile}: no tunnel is configured; add a tunnel section (mode: local or remote)`);
  console.log(formatPublicRoutes(c));
  return 0;
}
