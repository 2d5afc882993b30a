/**
 * The images this library deploys, pinned, with the CPU architectures each is published for.
 * Pure: no cdk8s imports.
 */
import type { Arch, ImageSpec } from '../model';

/** Every architecture the library knows. */
export const ARCHES: readonly Arch[] = ['amd64', 'arm64'];

/** The newest stable Mastodon release confirmed when this library was last updated. */
export const DEFAULT_MASTODON_VERSION = 'v4.7.2';

/** The image table. Every entry is multi-arch upstream; an override states its own. */
export const IMAGES = {
  mastodon: { repository: 'ghcr.io/mastodon/mastodon', architectures: ['amd64', 'arm64'] },
  streaming: { repository: 'ghcr.io/mastodon/mastodon-streaming', architectures: ['amd64', 'arm64'] },
  redis: { repository: 'docker.io/library/redis', tag: '7.4.11-alpine', architectures: ['amd64', 'arm64'] },
  /** CloudNativePG's standard Postgres image (with pg_amcheck); the tag is `<major>-standard-trixie`. */
  postgres: { repository: 'ghcr.io/cloudnative-pg/postgresql', architectures: ['amd64', 'arm64'] },
  /** Cloudflare Tunnel connector; multi-arch, runs as uid 65532. */
  cloudflared: { repository: 'docker.io/cloudflare/cloudflared', tag: '2026.9.1', architectures: ['amd64', 'arm64'] },
  /** nginx as uid 101 on port 8080, for the maintenance page. */
  maintenance: { repository: 'docker.io/nginxinc/nginx-unprivileged', tag: '1.29.4-alpine', architectures: ['amd64', 'arm64'] },
  /**
   * Prometheus exporter for Redis, its own Deployment (monitoring on). Scratch image, uid 59000, port
   * 9121. Verified in oliver006/redis_exporter v1.88.0: Dockerfile (`USER 59000:59000`, EXPOSE
   * 9121) and .github/workflows/release.yml (scratch image pushed for linux/amd64, linux/arm,
   * linux/arm64 with the git tag as the image tag).
   */
  redisExporter: { repository: 'docker.io/oliver006/redis_exporter', tag: 'v1.88.0', architectures: ['amd64', 'arm64'] },
  /**
   * OpenSearch for full-text search (search.mode internal): the last 2.x line. Mastodon's admin
   * check passes it (app/lib/admin/system_check/elasticsearch_check.rb compares OpenSearch's
   * minimum_wire_compatibility_version, 7.10.0 on 2.x, with 7.x), while 3.x reports 2.19.0 and
   * is flagged (mastodon/mastodon#35237). opensearch-build docker/release publishes every tag for
   * linux/amd64 and linux/arm64; the image runs as uid 1000.
   */
  opensearch: { repository: 'docker.io/opensearchproject/opensearch', tag: '2.19.4', architectures: ['amd64', 'arm64'] },
  /** kubectl with a shell, for the snapshot retention CronJob. */
  kubectl: { repository: 'docker.io/alpine/k8s', tag: '1.30.3', architectures: ['amd64', 'arm64'] },
  /**
   * The network doctor and the node-tuning DaemonSet: iperf3, iputils ping (`-M do`), iproute2
   * (`ip`), jq and busybox `sysctl` on Alpine 3.24.1. Checked in nicolaka/netshoot at tag v0.16:
   * its Dockerfile installs those packages, and .github/workflows/release-buildx.yml builds every
   * `v*` tag with `--platform linux/amd64,linux/arm64` to docker.io and ghcr.io. The image runs as
   * root by default; every pod here sets a non-root uid (the node-tuning one excepted).
   */
  netcheck: { repository: 'docker.io/nicolaka/netshoot', tag: 'v0.16', architectures: ['amd64', 'arm64'] },
} as const satisfies Record<string, { repository: string; tag?: string; architectures: readonly Arch[] }>;

/**
 * An image reference split into repository, tag and digest: `repo[:tag][@sha256:…]`, where a
 * registry's port (`registry.local:5000/…`) stays part of the repository.
 */
export function parseImageReference(ref: string): { repository: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? undefined : ref.slice(at + 1);
  const colon = name.lastIndexOf(':');
  if (colon <= name.lastIndexOf('/')) return { repository: name, digest };
  return { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest };
}

/**
 * The Postgres major a CNPG image tag names (`17`, `17.6`, `17-standard-trixie`, `17beta1`,
 * `17_6`: digits, then anything but a digit, as CloudNativePG's version.FromTag reads it), or
 * undefined (a digest's hex standing in a tag is no major).
 */
export function postgresMajorOfTag(tag: string | undefined): number | undefined {
  const m = /^(\d{1,3})(?=\D|$)/.exec(tag ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The CNPG Postgres image for a major version, or the given one (its tag empty when it has none). */
export function postgresImage(major: number, imageName?: string): ImageSpec {
  if (imageName) {
    const { repository, tag, digest } = parseImageReference(imageName);
    return { repository, tag: tag ?? '', ...(digest ? { digest } : {}), architectures: IMAGES.postgres.architectures };
  }
  return { repository: IMAGES.postgres.repository, tag: `${major}-standard-trixie`, architectures: IMAGES.postgres.architectures };
}

/** `repository:tag`, with `@digest` when one is pinned. */
export function imageRef(image: ImageSpec): string {
  return `${image.repository}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
}
