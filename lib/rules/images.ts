/**
 * The images this library deploys, pinned, with the CPU architectures each is published for.
 * Pure: no cdk8s imports.
 */

/** A CPU architecture as the `kubernetes.io/arch` node label spells it. */
export type Arch = 'amd64' | 'arm64';
/** Every architecture the library knows. */
export const ARCHES: readonly Arch[] = ['amd64', 'arm64'];

/** One pinned image and the architectures its manifest list covers. */
export interface ImageSpec {
  readonly repository: string;
  readonly tag: string;
  readonly architectures: readonly Arch[];
}

/** The newest stable Mastodon release confirmed when this library was last updated. */
export const DEFAULT_MASTODON_VERSION = 'v4.7.2';

/** The image table. Every entry is multi-arch upstream; an override states its own. */
export const IMAGES = {
  mastodon: { repository: 'ghcr.io/mastodon/mastodon', architectures: ['amd64', 'arm64'] },
  streaming: { repository: 'ghcr.io/mastodon/mastodon-streaming', architectures: ['amd64', 'arm64'] },
  redis: { repository: 'docker.io/library/redis', tag: '7.4.11-alpine', architectures: ['amd64', 'arm64'] },
} as const satisfies Record<string, { repository: string; tag?: string; architectures: readonly Arch[] }>;

/** `repository:tag`. */
export function imageRef(image: ImageSpec): string {
  return `${image.repository}:${image.tag}`;
}
