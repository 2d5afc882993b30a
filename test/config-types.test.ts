/**
 * The config types carry the schema's descriptions and defaults as JSDoc (hover docs in editors),
 * are generated from the one zod schema, and stay fresh. Here the cheap checks (npm test): the
 * schema's descriptions, and freshness by the hashes the generator writes into the file's header.
 * That the generated types and z.input / z.output are mutually assignable is a compile-time fact:
 * test/config-types.check.ts, in the program npm test's type check compiles (tsconfig.json).
 * The integration suite (test/integration/config-types.itest.ts) runs the generator itself and
 * compares the text, compiles config-types.check.ts on its own, and asks the TypeScript language
 * service what an editor shows on hover.
 */
import * as fs from 'fs';
import * as path from 'path';
import { configJsonSchema } from '../lib';
import { TYPES_FILE, typesFreshness } from '../scripts/write-schema';
import { ROOT } from './support/fixtures';

test('every top-level section and every property a config file commonly sets has a description', () => {
  const schema = configJsonSchema() as any;
  const missing = Object.entries(schema.properties).filter(([, v]: [string, any]) => typeof v.description !== 'string').map(([k]) => k);
  expect(missing).toEqual([]);
  for (const k of ['port', 'login', 'authMethod', 'enableStarttls']) expect([k, typeof schema.properties.smtp.properties[k].description]).toEqual([k, 'string']);
  for (const k of ['singleUserMode', 'defaultLocale']) expect([k, typeof schema.properties.mastodon.properties[k].description]).toEqual([k, 'string']);
});

describe('lib/model/types.generated.ts is fresh (the hashes npm run schema writes into its header)', () => {
  const text = fs.readFileSync(TYPES_FILE, 'utf8');

  test('its inputs and its text are what they were when npm run schema wrote it', () => {
    expect(typesFreshness(text)).toEqual([]);
  });

  test('a hand edit below the header is caught', () => {
    expect(typesFreshness(text.replace('Namespace for every object.', 'Namespace for all objects.'))).toEqual(['the generated text was edited by hand: run npm run schema']);
  });

  test('a file generated from other inputs is caught', () => {
    const other = text.replace(/(sha256 of the inputs: )([0-9a-f])/, (_, p, c) => `${p}${c === '0' ? '1' : '0'}`);
    expect(typesFreshness(other)).toEqual(['the zod schema, scripts/write-schema.ts or the generator changed since it was generated: run npm run schema']);
    expect(typesFreshness(text.replace(/^\/\/ sha256 .*\n/m, ''))).toEqual(['no hash line in the header: run npm run schema']);
  });
});

test('config-types.check.ts names both directions for input and output, and the type check compiles it', () => {
  const text = fs.readFileSync(path.join(ROOT, 'test', 'config-types.check.ts'), 'utf8');
  for (const t of ['inputToZod', 'zodToInput', 'outputToZod', 'zodToOutput']) expect(text).toContain(t);
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
  expect(tsconfig.include).toContain('test/**/*.ts');
  expect(tsconfig.exclude ?? []).toEqual([]);
});

test('no description states a default other than the @default hover shows next to it', () => {
  // A hover reads "… (the default is 300) @default 30" as a contradiction: a description may
  // name another program's default only as that program's.
  const found: string[] = [];
  const walk = (n: any, at: string) => {
    if (!n || typeof n !== 'object') return;
    if (typeof n.description === 'string' && 'default' in n) {
      for (const m of n.description.matchAll(/\b(?:the )?default (?:is|of) (\d+|"[^"]*"|'[^']*')/gi)) {
        if (m[1].replace(/^['"]|['"]$/g, '') !== String(n.default)) found.push(`${at}: "${m[0]}" but @default ${JSON.stringify(n.default)}`);
      }
    }
    for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, `${at}.${k}`);
    if (n.items) walk(n.items, `${at}[]`);
    for (const alt of [...(n.oneOf ?? []), ...(n.anyOf ?? [])]) walk(alt, at);
  };
  walk(configJsonSchema(), '');
  expect(found).toEqual([]);
});
