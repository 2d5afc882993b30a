/**
 * The manifest writer's property tests (test/manifest-yaml.test.ts, describe "generated values")
 * with 10× the runs of the unit suite: 5000 documents of hostile strings compared byte for byte
 * with cdk8s's Yaml.stringify, and 3000 in-domain documents that must not fall back. The unit
 * suite keeps a few hundred of each so `npm test` stays fast; this is the deep run.
 */
import * as path from 'path';
import { run } from './support/servers';

const ROOT = path.join(__dirname, '..', '..');

test('manifest writer properties, 10× the unit suite\'s runs', () => {
  const r = run(path.join(ROOT, 'node_modules', '.bin', 'jest'), ['test/manifest-yaml.test.ts', '-t', 'generated values', '--ci'], {
    cwd: ROOT, env: { CDK8S_MASTODON_PROPERTY_RUNS: '10', HOME: process.env.HOME }, timeoutMs: 300_000,
  });
  expect(`${r.stdout}${r.stderr}`).toMatch(/Tests:\s+\d+ skipped, 2 passed/);
  expect(r.status).toBe(0);
});
