/**
 * The unit suite's jest globalSetup (jest.config.js): fills, once and before any test file runs,
 * the two caches under node_modules/.cache that several test files would otherwise fill at the
 * same time on a fresh checkout (or after a change to a schema, a CRD or the validator itself):
 *
 * - the compiled strict validators (test/support/k8s-validator.ts): every kind in dist/ and every
 *   vendored CRD, for each Kubernetes version. Measured from a cold cache on 2 cores, the test
 *   files that validate otherwise compiled the same validators each (≈1 s of CRD YAML and up to
 *   5 s of ajv apiece, two or three of them at once);
 * - the helm binary (scripts/helm-binary.ts), which two test files would otherwise extract.
 *
 * With warm caches it only hashes the schema files and checks that the kept files exist. It never
 * fails the run: a problem here is reported and left to the tests that meet it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { helmBinary } from '../../scripts/helm-binary';
import { K8S_VERSIONS, K8sValidator } from './k8s-validator';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The apiVersion and kind of every object in dist/, read from each document's first two lines
 * (cdk8s writes them first; parsing the YAML would cost more than the rest of this setup). A kind
 * missed here is only compiled later, by the test that needs it.
 */
function distKinds(): { apiVersion: string; kind: string }[] {
  const dir = path.join(ROOT, 'dist');
  const seen = new Map<string, { apiVersion: string; kind: string }>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    for (const [, apiVersion, kind] of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/^apiVersion: (\S+)\nkind: (\S+)$/gm)) {
      seen.set(`${apiVersion}/${kind}`, { apiVersion, kind });
    }
  }
  return [...seen.values()];
}

export default async function warmCaches(): Promise<void> {
  try {
    await helmBinary();
    const kinds = distKinds();
    for (const v of K8S_VERSIONS) {
      const validator = new K8sValidator(v);
      for (const k of [...kinds, ...validator.crdKinds()]) validator.prepare(k.apiVersion, k.kind);
    }
  } catch (e) {
    process.stderr.write(`test/support/warm-caches.ts: could not fill the caches (the tests will): ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
