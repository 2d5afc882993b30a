/**
 * Writes config/schema.json and lib/model/types.generated.ts from the zod schema
 * (npm run schema). Tests keep both in sync.
 *
 * The types come from the same JSON Schema editors use, compiled by json-schema-to-typescript:
 * every `.describe()` text becomes the JSDoc of its property (hover docs in editors), and a
 * schema default becomes an `@default` tag (json-schema-to-typescript does not emit defaults, so
 * it is appended to the description it turns into the comment). Two schemas are compiled:
 * zod's input (`MastodonConfigInput`, what a file or a hand-built object may hold) and its output
 * (`MastodonConfigParsed`, defaults applied). test/config-types.test.ts proves both mutually
 * assignable with z.input / z.output, so they cannot drift from the zod schema.
 *
 * The generated file's header records two SHA-256 hashes: of everything the generator is given
 * ({@link typesInputsHash}: both JSON Schemas, this script's text, the versions of
 * json-schema-to-typescript and the prettier it formats with) and of the generated text below the
 * header. npm test compares both in-process (test/config-types.test.ts, milliseconds); the
 * integration suite runs the generator itself and compares the text
 * (test/integration/config-types.itest.ts).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { configJsonSchema, MastodonConfigSchema } from '../lib/config/schema';
import { CPU_PATTERN } from '../lib/rules/quantity';
import { ROOT } from './paths';

export const SCHEMA_FILE = path.join(ROOT, 'config', 'schema.json');
export const TYPES_FILE = path.join(ROOT, 'lib', 'model', 'types.generated.ts');

export function renderSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** A copy of a JSON Schema with each default written into the description as an @default tag. */
function withDefaultTags(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withDefaultTags);
  if (!node || typeof node !== 'object') return node;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) o[k] = k === 'default' || k === 'examples' ? v : withDefaultTags(v);
  if ('default' in o) {
    const tag = `@default ${JSON.stringify(o.default)}`;
    o.description = typeof o.description === 'string' ? `${o.description}\n\n${tag}` : tag;
  }
  return o;
}

/**
 * A CPU quantity is `number | string` on input and always a string after parsing (the schema's
 * `overwrite`, which JSON Schema cannot express): in the output schema keep the string branch.
 */
function cpuIsStringAfterParsing(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(cpuIsStringAfterParsing);
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  const anyOf = o.anyOf as Record<string, unknown>[] | undefined;
  const str = anyOf?.find((s) => s.type === 'string' && s.pattern === CPU_PATTERN.source);
  if (anyOf && anyOf.length === 2 && str && anyOf.some((s) => s.type === 'number')) {
    const { anyOf: _, ...rest } = o;
    return cpuIsStringAfterParsing({ ...rest, ...str });
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 'default' ? v : cpuIsStringAfterParsing(v)]));
}

/** The two JSON Schemas the types are compiled from: zod's input and output, with @default tags. */
function typeSchemas(): { input: unknown; output: unknown } {
  return {
    input: withDefaultTags({ ...configJsonSchema(), title: 'MastodonConfigInput' }),
    output: withDefaultTags(cpuIsStringAfterParsing({
      ...z.toJSONSchema(MastodonConfigSchema, { io: 'output', unrepresentable: 'any' }),
      title: 'MastodonConfigParsed',
    })),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A hash of everything the generated types depend on: both JSON Schemas, this script (the
 * generator options, the banners, the transformations), and the versions of
 * json-schema-to-typescript and of the prettier it formats with. Cheap: no generator is loaded.
 */
export function typesInputsHash(): string {
  const generatorDir = path.dirname(require.resolve('json-schema-to-typescript/package.json'));
  const version = (pkgJson: string) => JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version as string;
  return sha256(JSON.stringify({
    schemas: typeSchemas(),
    script: fs.readFileSync(path.join(ROOT, 'scripts', 'write-schema.ts'), 'utf8'),
    'json-schema-to-typescript': version(path.join(generatorDir, 'package.json')),
    prettier: version(require.resolve('prettier/package.json', { paths: [generatorDir] })),
  }));
}

/** The hash lines at the top of the generated file. */
const HASH_LINE = /^\/\/ sha256 of the inputs: ([0-9a-f]{64}); of the text below this line: ([0-9a-f]{64})\n/m;

/**
 * Whether the generated types text is what the generator would write now, judged by the hashes
 * in its header: the inputs' hash must equal {@link typesInputsHash} and the text below the hash
 * line must be unedited. Returns the problems (empty when fresh).
 */
export function typesFreshness(text: string): string[] {
  const m = HASH_LINE.exec(text);
  if (!m) return ['no hash line in the header: run npm run schema'];
  const problems: string[] = [];
  if (m[1] !== typesInputsHash()) problems.push('the zod schema, scripts/write-schema.ts or the generator changed since it was generated: run npm run schema');
  if (m[2] !== sha256(text.slice(m.index + m[0].length))) problems.push('the generated text was edited by hand: run npm run schema');
  return problems;
}

export async function renderTypes(): Promise<string> {
  // Loaded here, not at the top: it loads prettier, which jest's CommonJS runtime cannot import,
  // and config.test.ts imports renderSchema from this file.
  const { compile } = await import('json-schema-to-typescript');
  const options = {
    bannerComment: '',
    additionalProperties: false,
    unknownAny: true,
    strictIndexSignatures: false,
    ignoreMinAndMaxItems: true,
    style: { singleQuote: true, printWidth: 120 },
  };
  const { input, output } = typeSchemas();
  const parts = [
    await compile(input as any, 'MastodonConfigInput', {
      ...options,
      bannerComment: '/** What a config file (or an object built in TypeScript) may contain; defaults not yet applied. */',
    }),
    await compile(output as any, 'MastodonConfigParsed', {
      ...options,
      bannerComment: '/** A config after parsing, with every default applied. */',
    }),
  ];
  const body = [
    '',
    ...parts,
  ].join('\n');
  return [
    '/* eslint-disable */',
    '// Generated by `npm run schema` (scripts/write-schema.ts) from the zod schema in',
    '// lib/config/schema.ts: do not edit. test/config-types.test.ts checks it is fresh (by the',
    '// hashes below) and that these types and zod\'s z.input / z.output are mutually assignable.',
    `// sha256 of the inputs: ${typesInputsHash()}; of the text below this line: ${sha256(body)}`,
    body,
  ].join('\n');
}

if (require.main === module && process.argv.includes('--print-types')) {
  // For the freshness test: json-schema-to-typescript formats with prettier, an ES module jest's
  // CommonJS runtime cannot import, so the test runs this in a child process.
  renderTypes().then((text) => process.stdout.write(text), (e) => {
    console.error(e);
    process.exitCode = 1;
  });
} else if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
  renderTypes().then((text) => {
    fs.writeFileSync(TYPES_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), TYPES_FILE)}`);
  }, (e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
