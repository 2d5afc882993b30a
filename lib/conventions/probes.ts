/**
 * Probe builders. Rails boots in minutes on a Raspberry Pi, so startup probes are patient and
 * readiness/liveness only start once startup has passed.
 */
import { k8s } from 'cdk8s-plus-28';

/** How long a startup probe may take before the container is restarted. */
export interface Patience {
  /** Seconds between tries. */
  readonly periodSeconds: number;
  /** Tries before giving up: total patience is period × failureThreshold. */
  readonly failureThreshold: number;
}

/** An HTTP GET probe on a named or numbered port. */
export function httpProbe(path: string, port: number, p: Partial<k8s.Probe> = {}): k8s.Probe {
  return { httpGet: { path, port: k8s.IntOrString.fromNumber(port), scheme: 'HTTP' }, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 3, ...p };
}

/** A TCP connect probe: the cheapest liveness check for a server that accepts connections. */
export function tcpProbe(port: number, p: Partial<k8s.Probe> = {}): k8s.Probe {
  return { tcpSocket: { port: k8s.IntOrString.fromNumber(port) }, timeoutSeconds: 3, periodSeconds: 20, failureThreshold: 3, ...p };
}

/** A command probe. */
export function execProbe(command: string[], p: Partial<k8s.Probe> = {}): k8s.Probe {
  return { exec: { command }, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 3, ...p };
}

/** Rails on a Pi: up to 5 minutes (10 s × 30) before the kubelet restarts the container. */
export const RAILS_BOOT: Patience = { periodSeconds: 10, failureThreshold: 30 };
