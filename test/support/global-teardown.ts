/** Removes the run's temporary folder (see global-setup.ts). */
import * as fs from 'fs';

export default function globalTeardown(): void {
  const dir = process.env.CDK8S_MASTODON_TEST_TMP;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
