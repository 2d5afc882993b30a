/**
 * Resource names: the instance name, then the parts, joined by '-'. No hashes, so names stay
 * the same when the code is refactored.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `resourceName('ocw', 'sidekiq', 'main')` is `ocw-sidekiq-main`. Throws past 63 characters. */
export function resourceName(instance: string, ...parts: string[]): string {
  const name = [instance, ...parts].join('-');
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    throw new Error(`resource name '${name}' is not a DNS label of at most 63 characters; shorten the instance or process name`);
  }
  return name;
}

/**
 * `<instance>-web-metrics`: the Deployment, Service and NetworkPolicy of the prometheus_exporter
 * server Puma sends its metrics to. One place, because web's PROMETHEUS_EXPORTER_HOST, the
 * alert that watches the Deployment and the NetworkPolicies all name it.
 */
export function webMetricsName(instance: string): string {
  return resourceName(instance, 'web-metrics');
}
