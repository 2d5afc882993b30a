/**
 * cdk8s-mastodon: constructs that turn one validated description into a Mastodon server on a
 * hybrid (amd64 + arm64) k3s cluster.
 */
export * from './chart';
export * from './mastodon-environment';
export * from './mastodon-web';
export * from './mastodon-streaming';
export * from './sidekiq-queue';
export * from './redis';
export * from './postgres-cluster';
export * from './cloudflare-tunnel';
export * from './maintenance-page';
export * from './rules/tunnel-rules';
export * from './rules/services';
export * from './rules/database';
export * from './migrations';
export * from './media-cleanup';
export * from './config/schema';
export * from './config/resolve';
export * from './config/load';
export * from './config/errors';
export * from './rules/quantity';
export * from './rules/images';
export * from './rules/sidekiq-layout';
export * from './rules/environment';
export * from './conventions/labels';
export * from './conventions/names';
export * from './conventions/placement';
export * from './conventions/security';
export * from './conventions/ordering';
export * from './conventions/probes';
export * from './conventions/priority';
export * from './priority-classes';
export * from './network-policies';
export * from './rules/network-reach';
export * from './conventions/workload';
export * from './secrets';
export * from './render';
export * from './synthesize';
export * from './argocd';
export * from './rules/plan';
export * from './rules/plan-report';
export * from './plan-config';
export * from './rules/wal';
export * from './rules/job-timeout';
