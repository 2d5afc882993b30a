/**
 * The change guard in npm test: the working dist/ against the one committed at HEAD (or at the
 * pull request's base: npm test -- --base origin/main, which sets CDK8S_MASTODON_BASE). Without
 * git or a commit it says so and checks nothing. The guard's own tests are in
 * test/change-guard.test.ts and test/change-guard-synth.test.ts.
 */
import * as path from 'path';
import { loadConfigFile } from '../lib';
import { guardAgainstCommit } from '../lib/app/change-guard';
import { EXAMPLE_FILE, ROOT } from './support/fixtures';

test('dist/ holds no unacknowledged destructive change against the committed dist/', () => {
  const loaded = loadConfigFile(EXAMPLE_FILE);
  if (!loaded.ok) throw new Error('config/example.yaml does not load; test/config.test.ts says why');
  const r = guardAgainstCommit(path.join(ROOT, 'dist'), loaded.config.acknowledge, 'config/example.yaml', process.env.CDK8S_MASTODON_BASE || 'HEAD');
  if (r.status !== 'blocked' && r.report) process.stderr.write(`${r.report}\n`);
  expect(r.status === 'blocked' ? r.report : '').toBe('');
});
