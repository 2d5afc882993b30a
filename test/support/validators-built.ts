/**
 * Part of the unit suite's jest globalSetup (global-setup.ts): the tests run from the TypeScript sources,
 * but the strict Kubernetes validators are compiled by `npm run build`
 * (scripts/build-validators.ts into build/validators). Fails at once, saying so, when they are
 * missing or older than the schemas, CRDs or build script they are made from.
 */
import * as fs from 'fs';
import * as path from 'path';
import { K8S_VERSIONS, validatorDir } from '../../lib/app/k8s-validator';

const ROOT = path.join(__dirname, '..', '..');

/** The schema files (JSON, YAML) under a folder. */
function schemasUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.(json|ya?ml)$/.test(d.name))
    .map((d) => path.join(d.parentPath, d.name));
}

export default function validatorsBuilt(): void {
  const sources = [...schemasUnder(path.join(ROOT, 'schemas', 'kubernetes')), ...schemasUnder(path.join(ROOT, 'crds')), path.join(ROOT, 'scripts', 'build-validators.ts')];
  const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
  const problems = [...K8S_VERSIONS, 'crds'].map((m) => path.join(validatorDir(), `${m}.js`)).flatMap((f) => {
    if (!fs.existsSync(f)) return [`${path.relative(ROOT, f)} is missing`];
    return fs.statSync(f).mtimeMs < newest ? [`${path.relative(ROOT, f)} is older than the schemas, CRDs or scripts/build-validators.ts`] : [];
  });
  if (problems.length > 0) throw new Error(`the strict Kubernetes validators must be built first: run npm run build\n  ${problems.join('\n  ')}`);
}
