/**
 * The unit suite's jest globalSetup (jest.config.js): the strict validators must be built, and
 * every temporary folder the tests make (cdk8s's Testing.app() makes one per chart) goes into one
 * folder of this run, which global-teardown.ts removes, so runs leave nothing behind in /tmp.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import validatorsBuilt from './validators-built';

export default function globalSetup(): void {
  validatorsBuilt();
  // The workers start after this and inherit the environment: os.tmpdir() reads TMPDIR there.
  process.env.CDK8S_MASTODON_TEST_TMP = process.env.TMPDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-jest-'));
}
