/**
 * What an editor shows on hover: the TypeScript language service's quick info (documentation and
 * JSDoc tags) for each `/*@name*\/`-marked identifier of one virtual file compiled from `dir`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export interface Hover { readonly doc: string; readonly tags: Record<string, string> }

export function hovers(dir: string, source: string): Record<string, Hover> {
  const file = path.join(dir, '__hover__.ts');
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, strict: true, skipLibCheck: true, types: [] };
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => {
      if (f === file) return ts.ScriptSnapshot.fromString(source);
      return fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, 'utf8')) : undefined;
    },
    getCurrentDirectory: () => dir,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => f === file || fs.existsSync(f),
    readFile: (f) => (f === file ? source : fs.readFileSync(f, 'utf8')),
    readDirectory: (...args) => ts.sys.readDirectory(...args),
    directoryExists: (d) => ts.sys.directoryExists(d),
    getDirectories: (d) => ts.sys.getDirectories(d),
  };
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());
  const problems = service.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (problems.length) throw new Error(`the hover file does not compile:\n${problems.join('\n')}`);
  const out: Record<string, Hover> = {};
  for (const m of source.matchAll(/\/\*@([\w.]+)\*\/\s*/g)) {
    const info = service.getQuickInfoAtPosition(file, m.index + m[0].length);
    out[m[1]] = {
      doc: ts.displayPartsToString(info?.documentation),
      tags: Object.fromEntries((info?.tags ?? []).map((t) => [t.name, ts.displayPartsToString(t.text)])),
    };
  }
  return out;
}
