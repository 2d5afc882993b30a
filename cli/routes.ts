import { CONFIG, die, lib, loadOrDie } from './common';

/** routes: the tunnel's public routes (hostname, path, service), as text to follow in the Cloudflare dashboard. */
export function routes(): number {
  const { formatPublicRoutes } = lib();
  const c = loadOrDie();
  if (!c.tunnel) die(`${CONFIG}: no tunnel is configured; add a tunnel section (mode: local or remote)`);
  console.log(formatPublicRoutes(c));
  return 0;
}
