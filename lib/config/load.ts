/**
 * Reads a config file: the edge where YAML text becomes data. Every failure becomes a
 * ConfigError; nothing here throws for bad input.
 */
import * as fs from 'fs';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors';
import { resolveConfig, ResolveResult } from './resolve';

/** Parses YAML text and resolves it. `source` names the file in messages. */
export function loadConfigText(text: string, source: string): ResolveResult {
  if (text.trim() === '' || /^\s*(#.*)?(\n\s*(#.*)?)*$/.test(text)) {
    return fail('', `${source} is empty; start from config/example.yaml`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        path: '',
        message: `YAML syntax error at line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}; fix the indentation or quoting there`,
      })),
    };
  }
  const data = doc.toJS();
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
      ? `config file ${file} does not exist; set MASTODON_CONFIG to an existing file, or unset it to use config/example.yaml`
      : `cannot read config file ${file} (${code ?? String(e)}); check the path and its permissions`);
  }
  return loadConfigText(text, file);
}

function fail(path: string, message: string): ResolveResult {
  const errors: ConfigError[] = [{ path, message }];
  return { ok: false, errors };
}
