/**
 * Reads a config file: the edge where YAML text becomes data. Every failure becomes a
 * ConfigError; nothing here throws for bad input.
 */
import * as fs from 'fs';
import { parseDocument, YAMLError } from 'yaml';
import { ConfigError } from './errors';
import { resolveConfig, ResolveResult } from './resolve';

/** Parses YAML text and resolves it. `source` names the file in messages. */
export function loadConfigText(text: string, source: string): ResolveResult {
  if (text.trim() === '' || /^\s*(#.*)?(\n\s*(#.*)?)*$/.test(text)) {
    return fail('', `${source} is empty; start from config/example.yaml`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors: ConfigError[] = [];
    const seen = new Set<string>();
    for (const e of doc.errors) {
      const message = plainYamlError(text, e);
      if (!seen.has(message)) errors.push({ path: '', message });
      seen.add(message);
    }
    return { ok: false, errors };
  }
  let data: unknown;
  try {
    // The yaml package stops alias expansion beyond maxAliasCount (100, its default, written
    // out here): `Alias.resolve` in node_modules/yaml/dist/nodes/Alias.js throws a
    // ReferenceError ("Excessive alias count…") once count × aliases exceeds it.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const m = String((e as Error).message ?? e);
    if (/Excessive alias count/.test(m)) {
      return fail('', `the aliases (*name) in ${source} expand to far too large a document (more than ${MAX_ALIAS_COUNT} copies); write the values out instead of nesting aliases`);
    }
    const unresolved = /Unresolved alias.*: (\S+)/.exec(m);
    if (unresolved) {
      const at = text.indexOf(`*${unresolved[1]}`);
      return fail('', `${at >= 0 ? `line ${lineOf(text, at)}: ` : ''}the alias *${unresolved[1]} refers to no anchor &${unresolved[1]} above it; define the anchor first or write the value out`);
    }
    return fail('', `${source} could not be read as YAML (${m.split('\n')[0]}); fix the file and try again`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return fail('', `${source} must be a YAML mapping (key: value lines) at the top level; start from config/example.yaml`);
  }
  return resolveConfig(data);
}

/** Reads and resolves a config file. */
export function loadConfigFile(file: string): ResolveResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail('', code === 'ENOENT'
      ? `config file ${file} does not exist; set MASTODON_CONFIG to an existing file, or unset it to read the default (config/server.yaml in a server repository made by init)`
      : `cannot read config file ${file} (${code ?? String(e)}); check the path and its permissions`);
  }
  return loadConfigText(text, file);
}

/** How many alias expansions a config may use; a real config needs few, a bomb needs thousands. */
export const MAX_ALIAS_COUNT = 100;

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/**
 * A YAML syntax error as the line the user must change and a plain sentence. The parser (the
 * `yaml` package) reports where it noticed the problem, which is often a line early (an
 * over-indented key is read as a continuation of the line above) or at the end of the file
 * (an unclosed quote): this finds the line to fix from the error code and the text.
 */
function plainYamlError(text: string, e: YAMLError): string {
  const [start, end] = e.pos;
  const first = e.message.split('\n')[0];
  const at = (offset: number, sentence: string): string => `line ${lineOf(text, offset)}: ${sentence}`;
  switch (e.code) {
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY': {
      if (lineOf(text, start) !== lineOf(text, Math.max(start, end - 1)) || /\n\s/.test(text.slice(start, text.indexOf('\n', start) + 2))) {
        // A key that runs on to the next line: that next line is indented too far.
        const next = text.indexOf('\n', start) + 1;
        if (next > 0 && next < text.length && /^[ ]+\S/.test(text.slice(next))) {
          return at(next, 'this line is indented further than the line above, so YAML reads it as part of that line; indent it the same as the keys beside it, or end the line above with a colon if it belongs under it');
        }
      }
      if (/Nested mappings/.test(first)) {
        return at(start, "there are two 'key: value' pairs on one line; put the inner key on its own line, indented two more spaces, or quote the value if the colon belongs to it");
      }
      return at(start, 'this line is not lined up with the lines before it; indent it the same as the items beside it');
    }
    case 'BAD_INDENT': {
      const bracket = /Flow (sequence|map)/.exec(first);
      if (bracket) {
        const open = bracket[1] === 'sequence' ? '[' : '{';
        const close = bracket[1] === 'sequence' ? ']' : '}';
        const o = text.lastIndexOf(open, start);
        return at(o >= 0 ? o : start, `the ${open} opened on line ${lineOf(text, o >= 0 ? o : start)} is never closed; add the closing ${close} at the end of the list`);
      }
      return at(start, 'this line is not lined up with the lines before it in the same section; indent it the same as them');
    }
    case 'TAB_AS_INDENT':
      return at(start, 'this line is indented with a tab; YAML needs spaces: replace the tab with spaces');
    case 'DUPLICATE_KEY': {
      const key = /^\s*([^:\n]+?)\s*:/.exec(text.slice(start))?.[1] ?? 'this key';
      return at(start, `'${key}' is already set above in the same section; remove one of the two`);
    }
    case 'MISSING_CHAR': {
      const quote = /closing (["'])/.exec(first)?.[1];
      if (quote) {
        const o = text.lastIndexOf(quote, start - 1);
        return at(o >= 0 ? o : start, `the ${quote === '"' ? 'double' : 'single'} quote opened on line ${lineOf(text, o >= 0 ? o : start)} is never closed; add the closing ${quote} at the end of the value`);
      }
      break;
    }
    default:
      break;
  }
  return at(start, `YAML cannot read this line (${first.replace(/ at line \d+, column \d+:?$/, '')}); fix the indentation or quoting there`);
}

function fail(path: string, message: string): ResolveResult {
  const errors: ConfigError[] = [{ path, message }];
  return { ok: false, errors };
}
