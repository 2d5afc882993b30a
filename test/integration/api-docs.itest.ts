/**
 * docs/api/ (the API reference of lib/index.ts, written by `npm run docs:api`) is what typedoc
 * writes from the committed source: typedoc runs into a scratch folder with the project's
 * typedoc.config.cjs and every file must match. typedoc also fails (treatWarningsAsErrors) when
 * the public API names a type it does not export or a doc comment links to nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../support/fixtures';

jest.setTimeout(180_000);

/** Every file under `dir`, by its path relative to `dir`, with its text. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p, 'utf8');
  }
  return out;
}

test('docs/api/ is what npm run docs:api writes from the committed source', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'api-docs-'));
  try {
    const out = path.join(scratch, 'api');
    const typedoc = path.join(path.dirname(require.resolve('typedoc/package.json')), 'bin', 'typedoc');
    const run = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const fresh = tree(out);
    const committed = tree(path.join(ROOT, 'docs', 'api'));
    // File names first, so a missing or extra page reads as one line.
    expect(Object.keys(committed)).toEqual(Object.keys(fresh));
    for (const f of Object.keys(fresh)) expect([f, committed[f]]).toEqual([f, fresh[f]]);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
