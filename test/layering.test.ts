/**
 * No import circle in lib/, counting type-only imports too: eslint's import-x/no-cycle skips
 * `import type`, yet a circle of types still ties two modules together. The graph is read with
 * TypeScript's own pre-processor (every import, export-from and require of a file).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { ROOT } from './support/fixtures';

const LIB = path.join(ROOT, 'lib');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The files of lib/ a file imports (relative imports only; packages cannot import back). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((n) => n.startsWith('.')).flatMap((n) => {
    const base = path.resolve(path.dirname(file), n);
    const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    return hit && hit.startsWith(LIB) ? [hit] : [];
  });
}

/** The strongly connected groups of more than one file, or a file importing itself (Tarjan). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the circle finder finds a circle of two and one of three, and none in a line', () => {
  expect(circles(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]]))).toEqual([['a', 'b']]);
  expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual([['a', 'b', 'c']]);
  expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
});

test('lib/ has no import circle, type-only imports included', () => {
  const graph = new Map(sources(LIB).map((f) => [f, importsOf(f)]));
  expect(graph.size).toBeGreaterThan(50);
  expect(circles(graph).map((g) => g.map((f) => path.relative(ROOT, f)))).toEqual([]);
});
