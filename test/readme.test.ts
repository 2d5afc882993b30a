/**
 * The README is a guide people copy from: every ```ts block in README.md (and docs/*.md)
 * compiles as its own file against the library, the way a user's project would import it
 * (`from 'cdk8s-mastodon'`). The compiling happens in the type check of `npm test`
 * (scripts/typecheck.js), in the same TypeScript program as the project, so the library is
 * checked once; these tests check that the blocks are found and that a broken one is reported.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './support/fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { docBlocks, tsBlocks, typecheck } = require('../scripts/typecheck.js') as {
  docBlocks(root?: string): { doc: string; line: number; code: string }[];
  tsBlocks(text: string): { line: number; code: string }[];
  typecheck(o: { blocks: { doc: string; line: number; code: string }[]; rootNames?: string[]; types?: string[]; virtualFiles?: Record<string, string>; buildInfo?: string }): string[];
};

jest.setTimeout(60_000);

test('the README has TypeScript examples to check, and the type check takes every one', () => {
  const blocks = docBlocks();
  expect(blocks.filter((b) => b.doc === 'README.md').length).toBeGreaterThanOrEqual(2);
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(blocks.filter((b) => b.doc === 'README.md').map((b) => b.code)).toEqual(tsBlocks(readme).map((b) => b.code));
  expect((readme.match(/^```(ts|typescript)\s*$/gm) ?? []).length).toBe(tsBlocks(readme).length);
});

test('a block that does not compile is reported with its document and line', () => {
  const text = 'Intro\n\n```ts\nconst fine = 1;\nconst n: number = "two";\n```\n';
  const blocks = tsBlocks(text).map((b) => ({ ...b, doc: 'GUIDE.md' }));
  expect(blocks).toEqual([{ line: 4, code: 'const fine = 1;\nconst n: number = "two";', doc: 'GUIDE.md' }]);
  // Only the block (no project files, no global type packages): a small program, and unused
  // names are allowed in a snippet.
  expect(typecheck({ blocks, rootNames: [], types: [] })).toEqual([expect.stringMatching(/^GUIDE\.md:5: TS2322 Type 'string' is not assignable to type 'number'/)]);
});

test("classes cdk8s import generated (imports/*.ts) give their types, but their bodies are not checked again (npm run build's tsc checks them)", () => {
  // A misuse of a generated class in checked code is still an error...
  const misuse = [{ doc: 'GUIDE.md', line: 10, code: "import { ScheduledBackup } from '../imports/cnpg-scheduledbackup-postgresql.cnpg.io';\nconst b: ScheduledBackup['kind'] = 5;" }];
  // ...while an error inside a file of imports/ is not reported (a file there, in memory only).
  const generated = path.join(ROOT, 'imports', 'typecheck-probe.ts');
  const virtualFiles = { [generated]: 'const n: number = "two";\nexport {};\n' };
  expect(typecheck({ blocks: misuse, rootNames: [generated], types: [], virtualFiles })).toEqual([expect.stringMatching(/^GUIDE\.md:11: TS2322 Type 'number' is not assignable to type 'string'/)]);
  // The same file outside imports/ is checked: the probe is really read.
  const elsewhere = path.join(ROOT, 'lib', 'typecheck-probe.ts');
  expect(typecheck({ blocks: [], rootNames: [elsewhere], types: [], virtualFiles: { [elsewhere]: virtualFiles[generated] } }).join('\n')).toMatch(/TS2322/);
});

describe('the incremental type check (npm test keeps its state in node_modules/.cache)', () => {
  // Small programs of in-memory files in a scratch folder, checked with a build-info file as
  // `npm run typecheck` does: the answers must be those of a full check whatever the cache holds.
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-tsinc-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const buildInfoOf = () => path.join(dir, 'cache', 'typecheck.tsbuildinfo');
  const run = (aText: string) => {
    const [a, b] = [path.join(dir, 'a.ts'), path.join(dir, 'b.ts')];
    return typecheck({ blocks: [], rootNames: [a, b], types: [], virtualFiles: { [a]: aText, [b]: "import { x } from './a';\nexport const y: number = x;\n" }, buildInfo: buildInfoOf() }).join('\n');
  };

  test('a change in one file is reported in the unchanged file that depends on it, from a warm cache and again from the cache', () => {
    expect(run('export const x: number = 1;\n')).toBe('');
    expect(fs.existsSync(buildInfoOf())).toBe(true);
    expect(run('export const x: number = 1;\n')).toBe('');
    expect(run("export const x: string = '1';\n")).toMatch(/b\.ts\(2,14\): error TS2322/);
    // Nothing changed since: the error is still there (replayed from the cache, not forgotten).
    expect(run("export const x: string = '1';\n")).toMatch(/b\.ts\(2,14\): error TS2322/);
    expect(run('export const x: number = 2;\n')).toBe('');
  });

  test('a damaged or foreign cache file is ignored, not trusted', () => {
    expect(run("export const x: string = '1';\n")).toMatch(/TS2322/);
    fs.writeFileSync(buildInfoOf(), '{"version":"5.9.3","program');
    expect(run("export const x: string = '1';\n")).toMatch(/TS2322/);
    fs.writeFileSync(buildInfoOf(), JSON.stringify({ version: '0.0.1', program: {} }));
    expect(run("export const x: string = '1';\n")).toMatch(/TS2322/);
    expect(run('export const x: number = 1;\n')).toBe('');
  });
});
