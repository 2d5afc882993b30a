/**
 * The README is a guide people copy from: every ```ts block in README.md (and docs/*.md)
 * compiles as its own file against the library, the way a user's project would import it
 * (`from 'cdk8s-mastodon'`).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { ROOT } from './support/fixtures';

jest.setTimeout(120_000);

/** The ```ts blocks of a Markdown file, with the line each starts on. */
export function tsBlocks(file: string): { line: number; code: string }[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: { line: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^```(ts|typescript)\s*$/.test(lines[i])) {
      const start = i + 1;
      let j = start;
      while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
      out.push({ line: start + 1, code: lines.slice(start, j).join('\n') });
      i = j;
    }
  }
  return out;
}

const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = docs.flatMap((d) => tsBlocks(path.join(ROOT, d)).map((b) => ({ ...b, doc: d })));

test('the README has TypeScript examples to check', () => {
  expect(blocks.filter((b) => b.doc === 'README.md').length).toBeGreaterThanOrEqual(2);
});

test('every TypeScript block in the README and docs/ compiles against the library', () => {
  const dir = fs.mkdtempSync(path.join(ROOT, '.readme-tmp-'));
  try {
    const files = blocks.map((b, i) => {
      const f = path.join(dir, `block-${i}.ts`);
      // Each block is a module of its own, as in a user's project.
      fs.writeFileSync(f, `${b.code}\nexport {};\n`);
      return f;
    });
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
      strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true, types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      baseUrl: ROOT, paths: { 'cdk8s-mastodon': ['lib/index.ts'] },
    });
    const problems = ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(path.normalize(d.file.fileName)))
      .map((d) => {
        const i = files.indexOf(path.normalize(d.file!.fileName));
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${blocks[i].doc}:${blocks[i].line + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
