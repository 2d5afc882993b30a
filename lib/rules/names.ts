/**
 * Resource names: the instance name, then the parts, joined by '-'. No hashes, so names stay
 * the same when the code is refactored.
 */

/** A DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter or digit. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What is wrong with a name that must be a DNS label of at most `max` characters; `what` names it. */
export const dnsLabelMessages = (max: number, what: string) => ({
  empty: `${what} must not be empty`,
  long: `${what} is longer than ${max} characters; shorten it so every derived resource name fits in 63`,
  shape: `${what} must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit`,
});

/** The first of {@link dnsLabelMessages} that applies to `value`, or undefined for a good name. */
export function dnsLabelProblem(value: string, max: number, what: string): string | undefined {
  const m = dnsLabelMessages(max, what);
  if (value.length === 0) return m.empty;
  if (value.length > max) return m.long;
  return DNS_LABEL.test(value) ? undefined : m.shape;
}

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
