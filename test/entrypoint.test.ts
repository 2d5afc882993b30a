/**
 * Defect 6: `command:` replaces the image's ENTRYPOINT. Each image the chart runs is listed with
 * what its Dockerfile sets (read upstream; see README "Entrypoints"), and every container of
 * every rendered variant must use `command` only where it replaces nothing worth keeping.
 */
import { exampleRaw, render, withChange } from './support/fixtures';

/** What the chart may set per image, from each image's Dockerfile. */
const IMAGE_RULES: { match: RegExp; entrypoint: string; command: 'never' | 'allowed'; args: 'required' | 'none' | 'any'; cmd?: string }[] = [
  // mastodon/mastodon Dockerfile: ENTRYPOINT ["/usr/bin/tini", "--"], no CMD.
  { match: /^ghcr\.io\/mastodon\/mastodon:/, entrypoint: '/usr/bin/tini --', command: 'never', args: 'required' },
  // mastodon/mastodon streaming/Dockerfile: FROM node:<major>-trixie-slim (whose ENTRYPOINT,
  // docker-entrypoint.sh, execs a command it finds), CMD ["node", "./streaming/index.js"]. With a
  // database CA the args copy it first (rules/ca-reload.ts) and then exec that same CMD.
  { match: /^ghcr\.io\/mastodon\/mastodon-streaming:/, entrypoint: 'docker-entrypoint.sh; CMD node ./streaming/index.js', command: 'never', args: 'any', cmd: 'node ./streaming/index.js' },
  // docker-library/redis: ENTRYPOINT ["docker-entrypoint.sh"] (umask 0077, drops root), CMD ["redis-server"].
  { match: /^docker\.io\/library\/redis:/, entrypoint: 'docker-entrypoint.sh', command: 'never', args: 'required' },
  // nginxinc/docker-nginx-unprivileged: ENTRYPOINT ["/docker-entrypoint.sh"], CMD ["nginx", "-g", "daemon off;"].
  { match: /^docker\.io\/nginxinc\/nginx-unprivileged:/, entrypoint: '/docker-entrypoint.sh', command: 'never', args: 'none' },
  // cloudflare/cloudflared Dockerfile: ENTRYPOINT ["cloudflared", "--no-autoupdate"], CMD ["version"].
  { match: /^docker\.io\/cloudflare\/cloudflared:/, entrypoint: 'cloudflared --no-autoupdate', command: 'never', args: 'required' },
  // oliver006/redis_exporter v1.88.0 Dockerfile (scratch-release): ENTRYPOINT ["/redis_exporter"], no CMD; configured by env.
  { match: /^docker\.io\/oliver006\/redis_exporter:/, entrypoint: '/redis_exporter', command: 'never', args: 'none' },
  // alpine-docker/k8s Dockerfile: FROM alpine, no ENTRYPOINT: command replaces nothing.
  { match: /^docker\.io\/alpine\/k8s:/, entrypoint: '(none)', command: 'allowed', args: 'any' },
  // cloudnative-pg/postgres-containers Dockerfile: FROM debian:trixie-slim, no ENTRYPOINT.
  { match: /^ghcr\.io\/cloudnative-pg\/postgresql:/, entrypoint: '(none)', command: 'allowed', args: 'any' },
];

/** Every container (and init container) in any object, with where it is. */
function containers(objects: any[]): { where: string; c: any }[] {
  const out: { where: string; c: any }[] = [];
  const walk = (node: any, where: string) => {
    if (Array.isArray(node)) { node.forEach((n, i) => walk(n, `${where}[${i}]`)); return; }
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'containers' || k === 'initContainers') && Array.isArray(v) && v.every((x: any) => x && typeof x.image === 'string')) {
        v.forEach((c: any) => out.push({ where: `${where}.${k}/${c.name}`, c }));
      } else walk(v, `${where}.${k}`);
    }
  };
  objects.forEach((o) => walk(o, `${o.kind}/${o.metadata.name}`));
  return out;
}

const variants: Record<string, any> = {
  example: exampleRaw(),
  'maintenance page': withChange(exampleRaw(), (c) => { c.maintenance = { enabled: true }; }),
  'redis password': withChange(exampleRaw(), (c) => { c.redis.passwordSecret = { name: 'ocw-redis', key: 'password' }; }),
  // The exporter sidecars: prometheus_exporter from the Mastodon image, redis_exporter.
  monitoring: withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true }; c.redis.passwordSecret = { name: 'ocw-redis', key: 'password' }; }),
};

describe.each(Object.entries(variants))('%s', (_name, raw) => {
  const all = containers(render(raw));
  test('renders containers of every image the chart runs', () => {
    expect(all.length).toBeGreaterThan(5);
  });
  test.each(all.map((x) => [x.where, x.c] as const))('%s keeps its image entrypoint', (_where, c) => {
    const rule = IMAGE_RULES.find((r) => r.match.test(c.image));
    if (!rule) throw new Error(`no entrypoint rule for image ${c.image}: read its Dockerfile and add one`);
    if (rule.command === 'never') expect(c.command).toBeUndefined();
    if (rule.args === 'required') expect(c.args?.length ?? 0).toBeGreaterThan(0);
    if (rule.args === 'none') expect(c.args).toBeUndefined();
    if (rule.cmd && c.args) expect(c.args.join(' ')).toMatch(new RegExp(`\\nexec ${rule.cmd.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
  });
});

test('no container of the Mastodon images sets command (tini stays PID 1)', () => {
  const mastodon = Object.values(variants).flatMap((raw) => containers(render(raw))).filter((x) => /^ghcr\.io\/mastodon\//.test(x.c.image));
  expect(mastodon.length).toBeGreaterThanOrEqual(9);
  expect(mastodon.filter((x) => x.c.command !== undefined).map((x) => x.where)).toEqual([]);
});

test('every image rule matches a container the chart renders (no stale rule)', () => {
  const images = Object.values(variants).flatMap((raw) => containers(render(raw))).map((x) => x.c.image as string);
  expect(IMAGE_RULES.filter((r) => !images.some((i) => r.match.test(i))).map((r) => String(r.match))).toEqual([]);
});
