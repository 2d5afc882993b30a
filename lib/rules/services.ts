/**
 * In-cluster Service names and ports, shared by the constructs that own the Services and the
 * rules that route to them (the tunnel). Pure: no cdk8s imports.
 */
import { resourceName } from '../rules/names';

/** Puma's port. */
export const WEB_PORT = 3000;
/** The streaming server's port. */
export const STREAMING_PORT = 4000;
/** The maintenance page's port (nginx-unprivileged listens on 8080). */
export const MAINTENANCE_PORT = 8080;
/**
 * The maintenance page's probe port: not in its Service, so the tunnel cannot reach it and
 * `/healthz` answers 503 like every other path to visitors.
 */
export const MAINTENANCE_PROBE_PORT = 8081;
/** cloudflared's metrics and readiness port. */
export const TUNNEL_METRICS_PORT = 2000;

/** The Service names of an instance. */
export function serviceNames(instance: string): { web: string; streaming: string; maintenance: string } {
  return {
    web: resourceName(instance, 'web'),
    streaming: resourceName(instance, 'streaming'),
    maintenance: resourceName(instance, 'maintenance'),
  };
}
