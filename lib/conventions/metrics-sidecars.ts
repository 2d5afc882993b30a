/**
 * The metrics exporters when monitoring is on: prometheus_exporter for Puma (its own pod, see
 * lib/web-metrics.ts) and redis_exporter (its own pod, see lib/redis.ts). Both are hardened like
 * every other container (non-root, read-only root filesystem, no capabilities) and probed, and
 * their requests count in their pod's, so the planner sees them.
 */
import { k8s } from 'cdk8s-plus-28';
import { httpProbe } from './probes';
import { containerSecurityContext, MASTODON_UID } from './security';
import { containerResources } from './workload';
import { imageRef } from '../rules/images';
import { METRICS_PORT_NAME, REDIS_EXPORTER_PORT, RUBY_METRICS_PORT, webExporterArgs } from '../rules/metrics';
import type { ResourcesConfig, SecretKeyRef, ImageSpec } from '../model';

/** uid and gid the redis_exporter image runs as (its Dockerfile: `USER 59000:59000`). */
export const REDIS_EXPORTER_UID = 59000;

/**
 * prometheus_exporter from the Mastodon image: `args`, so the image's entrypoint stays in place.
 * `/ping` answers PONG once the server listens (lib/prometheus_exporter/server/web_server.rb).
 * Only /tmp is writable.
 */
export function webExporterContainer(image: ImageSpec, resources: ResourcesConfig): k8s.Container {
  return {
    name: 'metrics',
    image: imageRef(image),
    imagePullPolicy: 'IfNotPresent',
    args: webExporterArgs(),
    // The Mastodon image's WORKDIR, where `bundle exec` finds the Gemfile.
    workingDir: '/opt/mastodon',
    ports: [{ name: METRICS_PORT_NAME, containerPort: RUBY_METRICS_PORT, protocol: 'TCP' }],
    resources: containerResources(resources),
    securityContext: containerSecurityContext(MASTODON_UID),
    volumeMounts: [{ name: 'tmp-root', mountPath: '/tmp' }],
    // Ruby boots in seconds here (no Rails): 2 minutes of patience on a Pi.
    startupProbe: httpProbe('/ping', RUBY_METRICS_PORT, { periodSeconds: 5, failureThreshold: 24 }),
    readinessProbe: httpProbe('/ping', RUBY_METRICS_PORT, { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: httpProbe('/ping', RUBY_METRICS_PORT, { periodSeconds: 20, failureThreshold: 3 }),
  };
}

/**
 * redis_exporter against Redis at `redisAddr` (`REDIS_ADDR`, e.g. `redis://<instance>-redis:6379`,
 * the Service), with the password from the same Secret key when Redis has one. `/health`
 * answers once it listens (oliver006/redis_exporter v1.88.0 exporter/http.go), whether or not
 * Redis answers: a Redis that is down shows as `redis_up 0`, not as an unready exporter.
 */
export function redisExporterContainer(image: ImageSpec, resources: ResourcesConfig, redisAddr: string, password?: SecretKeyRef): k8s.Container {
  return {
    name: 'metrics',
    image: imageRef(image),
    imagePullPolicy: 'IfNotPresent',
    env: [
      { name: 'REDIS_ADDR', value: redisAddr },
      ...(password ? [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: password.name, key: password.key } } }] : []),
    ],
    ports: [{ name: METRICS_PORT_NAME, containerPort: REDIS_EXPORTER_PORT, protocol: 'TCP' }],
    resources: containerResources(resources),
    securityContext: containerSecurityContext(REDIS_EXPORTER_UID),
    readinessProbe: httpProbe('/health', REDIS_EXPORTER_PORT, { periodSeconds: 10 }),
    livenessProbe: httpProbe('/health', REDIS_EXPORTER_PORT, { periodSeconds: 20 }),
  };
}
