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
