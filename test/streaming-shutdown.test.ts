/**
 * Streaming shutdown. Mastodon's streaming/index.js answers SIGTERM with `server.close()` and
 * `process.exit(0)` at once: every WebSocket drops and the port closes while the pod may still
 * be in the Service's endpoints (their removal races the SIGTERM), so new connections in that
 * window are refused. A preStop sleep keeps the old pod serving until the endpoint is gone.
 */
import { MastodonStreaming } from '../lib';
import { find, podSpecOf, render } from './support/fixtures';

const pod = podSpecOf(find(render(), 'Deployment', 'ocw-streaming'));
const c = pod.containers[0];

test('streaming sleeps in preStop before node gets SIGTERM', () => {
  expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', String(MastodonStreaming.DRAIN_SECONDS)]);
  expect(MastodonStreaming.DRAIN_SECONDS).toBeGreaterThanOrEqual(5);
});

test('the grace period covers the sleep and the exit', () => {
  // The preStop hook counts against terminationGracePeriodSeconds.
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(MastodonStreaming.DRAIN_SECONDS + 5);
});

test('no command; args, when set (database CA copy), end by exec-ing the image CMD so node itself gets SIGTERM', () => {
  expect(c.command).toBeUndefined();
  if (c.args !== undefined) {
    expect(c.args.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.args[2].trim().split('\n').pop()).toBe('exec node ./streaming/index.js');
  }
});
