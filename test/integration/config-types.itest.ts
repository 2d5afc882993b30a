/**
 * The config types, the slow checks (moved from test/config-types.test.ts, which keeps the cheap
 * ones in npm test): the generator itself (json-schema-to-typescript, prettier) writes the same
 * text as lib/model/types.generated.ts; test/config-types.check.ts compiles on its own (the
 * generated types and z.input / z.output are mutually assignable); and the TypeScript language
 * service shows the schema's descriptions and defaults on hover, as an editor would, through the
 * library's index.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { configJsonSchema } from '../../lib';
import { spawnSync } from 'child_process';
import { TYPES_FILE } from '../../scripts/write-schema';
import { hovers } from '../support/hover';
import { ROOT } from '../support/fixtures';

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

test('lib/model/types.generated.ts is what npm run schema writes', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--swc', path.join(ROOT, 'scripts', 'write-schema.ts'), '--print-types'], { cwd: ROOT, encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(fs.readFileSync(TYPES_FILE, 'utf8')).toBe(r.stdout);
});

test('the generated types and zod\'s inferred types are mutually assignable (config-types.check.ts compiles)', () => {
  const check = path.join(ROOT, 'test', 'config-types.check.ts');
  const program = ts.createProgram([check], { strict: true, noEmit: true, skipLibCheck: true, types: ['node'], module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(problems).toEqual([]);
});
