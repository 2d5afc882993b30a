/**
 * The config types carry the schema's descriptions and defaults as JSDoc (hover docs in editors),
 * are generated from the one zod schema, and stay fresh. That they equal z.input / z.output is a
 * compile-time fact: test/config-types.check.ts (tsc --noEmit; also asserted below).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { configJsonSchema } from '../lib';
import { spawnSync } from 'child_process';
import { TYPES_FILE } from '../scripts/write-schema';
import { hovers } from './support/hover';
import { ROOT } from './support/fixtures';

jest.setTimeout(120_000);

/** The JSON Schema node at a property path ('[]' steps into array items, '|cnpg' into the union member with that mode). */
function at(schema: any, ...steps: string[]): any {
  return steps.reduce((n, s) => {
    if (s === '[]') return n.items;
    if (s.startsWith('|')) return (n.oneOf ?? n.anyOf).find((m: any) => m.properties.mode.const === s.slice(1));
    return n.properties[s];
  }, schema);
}

/** What the source says a property's hover shows: its description, and its default as @default. */
const SOURCE = `import type { MastodonConfigInput, MastodonConfigParsed, WebConfig, CnpgDatabaseConfig, SidekiqProcessInput } from './lib';
declare const input: MastodonConfigInput;
declare const parsed: MastodonConfigParsed;
declare const web: WebConfig;
declare const db: CnpgDatabaseConfig;
declare const proc: SidekiqProcessInput;
export const used = [
  input./*@namespace*/namespace,
  input./*@domain*/domain,
  parsed.network./*@failoverSeconds*/failoverSeconds,
  web./*@threads*/threads,
  proc./*@concurrency*/concurrency,
  db./*@instances*/instances,
];
`;

describe('hover docs on the exported config types', () => {
  const schema = configJsonSchema();
  let shown: ReturnType<typeof hovers>;
  beforeAll(() => { shown = hovers(ROOT, SOURCE); });

  test.each([
    ['namespace', ['namespace']],
    ['domain', ['domain']],
    ['failoverSeconds', ['network', 'failoverSeconds']],
    ['threads', ['web', 'threads']],
    ['concurrency', ['sidekiq', 'processes', '[]', 'concurrency']],
    ['instances', ['database', '|cnpg', 'instances']],
  ])('%s shows the schema description and default', (marker, where) => {
    const node = at(schema, ...where);
    expect(typeof node.description).toBe('string');
    expect(shown[marker].doc).toBe(node.description);
    if ('default' in node) expect(shown[marker].tags.default).toBe(JSON.stringify(node.default));
    else expect(shown[marker].tags.default).toBeUndefined();
  });
});

test('every top-level section and every property a config file commonly sets has a description', () => {
  const schema = configJsonSchema() as any;
  const missing = Object.entries(schema.properties).filter(([, v]: [string, any]) => typeof v.description !== 'string').map(([k]) => k);
  expect(missing).toEqual([]);
  for (const k of ['port', 'login', 'authMethod', 'enableStarttls']) expect([k, typeof schema.properties.smtp.properties[k].description]).toEqual([k, 'string']);
  for (const k of ['singleUserMode', 'defaultLocale']) expect([k, typeof schema.properties.mastodon.properties[k].description]).toEqual([k, 'string']);
});

test('lib/config/types.generated.ts is what npm run schema writes', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--swc', path.join(ROOT, 'scripts', 'write-schema.ts'), '--print-types'], { cwd: ROOT, encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(fs.readFileSync(TYPES_FILE, 'utf8')).toBe(r.stdout);
});

test('the generated types and zod\'s inferred types are mutually assignable (config-types.check.ts compiles)', () => {
  const check = path.join(ROOT, 'test', 'config-types.check.ts');
  const program = ts.createProgram([check], { strict: true, noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(problems).toEqual([]);
  // and the check is about these types: it names both directions for input and output
  const text = fs.readFileSync(check, 'utf8');
  for (const t of ['inputToZod', 'zodToInput', 'outputToZod', 'zodToOutput']) expect(text).toContain(t);
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
