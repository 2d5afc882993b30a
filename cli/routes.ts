import { CONFIG, die, lib, loadOrDie } from './common';

/** routes: the tunnel's public routes (hostname, path, service), as text to follow in the Cloudflare dashboard. */
export function routes(): number {
  const { formatAuthCallbacks, formatPublicRoutes } = lib();
  const c = loadOrDie();
  if (!c.tunnel && formatAuthCallbacks(c)) {
    console.log(formatAuthCallbacks(c));
    return 0;
  }
  if (!c.tunnel) die(`${CONFIG}: no tunnel is configured; add a tunnel section (mode: local or remote)`);
  console.log(formatPublicRoutes(c));
  return 0;
}
