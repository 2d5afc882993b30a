/**
 * The manifest YAML writer (lib/tools/manifest-yaml.ts) writes exactly what cdk8s's
 * `Yaml.stringify` writes (the yaml library, YAML 1.1, lineWidth 0, keepUndefined): on every
 * file the app writes for every config that renders, on thousands of generated hostile values,
 * and by leaving to the library what it does not handle.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as fc from 'fast-check';
import { stringify } from 'yaml';
import { synthesizeApp, SynthesisOptions } from '../lib/synthesize';
import { manifestYamlStats, stringifyManifests } from '../lib/tools/manifest-yaml';
import { largeConfig } from '../scripts/large-config';
import { exampleRaw, ROOT, withChange } from './support/fixtures';

jest.setTimeout(60_000);

/** cdk8s's own writer, kept before anything can replace it. */
const cdk8sStringify = Yaml.stringify.bind(Yaml);

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-yaml-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * The documents of every file `synthesizeApp` writes for a config (all charts: Mastodon, Argo CD,
 * node tuning), caught at cdk8s's `Yaml.save`, and the bytes the app wrote for each.
 */
function synthesized(name: string, raw: unknown, options: SynthesisOptions = {}): { docs: unknown[][]; written: string[]; fallbacks: number; byWriter: number } {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, stringify(raw));
  const out = path.join(tmp, name);
  const docs: unknown[][] = [];
  const written: string[] = [];
  const save = Yaml.save.bind(Yaml);
  const spy = jest.spyOn(Yaml, 'save').mockImplementation((filePath: string, d: any[]) => {
    docs.push(d);
    save(filePath, d);
    written.push(fs.readFileSync(filePath, 'utf8'));
  });
  const before = { ...manifestYamlStats };
  try {
    const r = synthesizeApp(file, out, options);
    if (!r.ok) throw new Error(r.report);
  } finally {
    spy.mockRestore();
  }
  const fallbacks = manifestYamlStats.fallbacks - before.fallbacks;
  return { docs, written, fallbacks, byWriter: manifestYamlStats.documents - before.documents - fallbacks };
}

const validFixtures = fs.readdirSync(path.join(ROOT, 'test', 'fixtures', 'valid')).filter((f) => f.endsWith('.yaml')).sort();
const configs: [string, () => unknown][] = [
  ['the default app (config/example.yaml)', () => exampleRaw()],
  ...validFixtures.map((f): [string, () => unknown] => [`test/fixtures/valid/${f}`, () => stringifyParse(path.join(ROOT, 'test', 'fixtures', 'valid', f))]),
  ['the large config (scripts/large-config.ts)', () => largeConfig()],
  ['monitoring enabled', () => withChange(exampleRaw(), (c) => { c.monitoring = { enabled: true, ruleLabels: { release: 'kube-prometheus-stack' } }; })],
  ['the catchUp switch on (without KEDA)', () => withChange(exampleRaw(), (c) => { delete c.sidekiq.keda; c.sidekiq.catchUp = true; })],
];
function stringifyParse(file: string): unknown {
  return require('yaml').parse(fs.readFileSync(file, 'utf8'));
}

test.each(configs)('every file of %s is what cdk8s writes, byte for byte, written without a fallback', (name, raw) => {
  const r = synthesized(name.replace(/[^a-z0-9]+/gi, '-'), raw());
  {
    expect(r.docs.length).toBeGreaterThan(0);
    r.docs.forEach((docs, i) => {
      const expected = cdk8sStringify(...docs);
      expect(r.written[i]).toBe(expected);
      expect(stringifyManifests(docs)).toBe(expected);
    });
    expect(r.fallbacks).toBe(0);
    expect(r.byWriter).toBe(r.docs.flat().length);
  }
});

test('the default app is written by the manifest writer, and Yaml.stringify is cdk8s\'s again afterwards', () => {
  const before = Yaml.stringify;
  const { docs, fallbacks, byWriter } = synthesized('default-again', exampleRaw());
  expect(docs.flat().length).toBeGreaterThan(40);
  expect(byWriter).toBe(docs.flat().length);
  expect(fallbacks).toBe(0);
  expect(Yaml.stringify).toBe(before);
});

test('libraryYaml (main.ts, the real cdk8s synth) writes through the yaml library: the same bytes, not one document by the writer', () => {
  const viaWriter = synthesized('default-writer', exampleRaw());
  const viaLibrary = synthesized('default-library', exampleRaw(), { libraryYaml: true });
  expect(viaLibrary.byWriter + viaLibrary.fallbacks).toBe(0);
  expect(viaWriter.byWriter).toBeGreaterThan(0);
  expect(viaLibrary.written).toEqual(viaWriter.written);
});

test('dist/ is what the writer gives for the default app', () => {
  const { written } = synthesized('default-dist', exampleRaw());
  expect(written[0]).toBe(fs.readFileSync(path.join(ROOT, 'dist', 'mastodon.k8s.yaml'), 'utf8'));
});

/**
 * Runs per property: a few hundred in the unit suite (well under a second each);
 * CDK8S_MASTODON_PROPERTY_RUNS multiplies them, and the integration suite runs this describe
 * with 10× (test/integration/manifest-yaml-deep.itest.ts).
 */
const RUNS = Number(process.env.CDK8S_MASTODON_PROPERTY_RUNS ?? 1);

describe('generated values', () => {
  // Strings that stress every rule: YAML indicators, white space and newlines at the ends and in
  // the middle, tabs, unicode, controls, the YAML 1.1 words and number shapes, document markers.
  const pieces = [
    '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '<<', '=',
    ' ', '  ', '\t', '\n', '\n\n', ': ', ' #', '- ', '? ', '---', '...', '%YAML',
    'a', 'Z', 'x y', 'é', '😀', '\u2028', '\u2029', '\ufeff', '\u00a0',
    'y', 'Y', 'n', 'N', 'yes', 'Yes', 'YES', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
    'null', 'Null', 'NULL', '~', '.inf', '-.inf', '+.Inf', '.nan', '.NaN', '.NAN',
    '0', '1', '9', '07', '0755', '0o17', '0b101', '0x1F', '0xg', '1_000', '+1', '-1', '1.', '.5', '1.5', '1e5', '1E-5', '.5e3', '6.8523015e+5',
    '1:20', '190:20:30', '1:70', '1:20.5', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2001-12-14T21:59:43Z', '2001-1-1',
  ];
  // Characters the library escapes in double quotes (controls, \u0085, lone surrogates): rarer,
  // since one of them sends the whole document to the fallback.
  const escaped = ['\r', '\r\n', '\u0000', '\u0007', '\b', '\u001b', '\u007f', '\u0085', '\u009f', '\ud800', '\udc00'];
  const hostile = fc.oneof(
    { weight: 12, arbitrary: fc.array(fc.constantFrom(...pieces), { maxLength: 6 }).map((p) => p.join('')) },
    { weight: 4, arbitrary: fc.constantFrom(...pieces) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...pieces, ...escaped), { maxLength: 4 }).map((p) => p.join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom('word', ' ', '\n', 'x:', '#', '- '), { minLength: 60, maxLength: 200 }).map((p) => p.join('')) },
  );
  const scalar = fc.oneof(
    { weight: 6, arbitrary: hostile },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2) },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('seq')),
    map: fc.dictionary(hostile, tie('value'), { maxKeys: 4, noNullPrototype: false }),
    seq: fc.array(tie('value'), { maxLength: 4 }),
  }));
  const doc = fc.dictionary(hostile, value, { maxKeys: 5 });

  test('documents of nested JSON-like values with hostile strings and keys: the same bytes as cdk8s', () => {
    fc.assert(fc.property(fc.array(fc.option(doc, { nil: undefined, freq: 10 }), { minLength: 1, maxLength: 3 }), (docs) => {
      expect(stringifyManifests(docs)).toBe(cdk8sStringify(...docs));
    }), { numRuns: 500 * RUNS });
  });

  test('documents whose strings avoid the shapes left to the library are all written by the writer itself', () => {
    // Left to the library: the characters it escapes, text that is only newlines, and text
    // ending in white space before its final newlines (lib/tools/manifest-yaml.ts).
    const inDomain = (s: string) => !/[\x00-\x08\x0b-\x1f\x7f-\x9f]|[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))
      && !(s.includes('\n') && /(^|[ \t])\n*$/.test(s));
    const clean = hostile.filter(inDomain);
    // Keys: also no space before a newline (the library escapes that space).
    const cleanKey = clean.filter((s) => !s.includes(' \n'));
    const { cleanValue } = fc.letrec((tie) => ({
      cleanValue: fc.oneof({ depthSize: 'small' }, fc.oneof(clean, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)), tie('map'), tie('seq')),
      map: fc.dictionary(cleanKey, tie('cleanValue'), { maxKeys: 4 }),
      seq: fc.array(tie('cleanValue'), { maxLength: 4 }),
    }));
    const before = { ...manifestYamlStats };
    fc.assert(fc.property(fc.dictionary(cleanKey, cleanValue, { maxKeys: 5 }), (d) => {
      const f = manifestYamlStats.fallbacks;
      expect(stringifyManifests([d])).toBe(cdk8sStringify(d));
      expect(manifestYamlStats.fallbacks).toBe(f);
    }), { numRuns: 300 * RUNS });
    expect(manifestYamlStats.documents - before.documents).toBeGreaterThanOrEqual(300 * RUNS);
    expect(manifestYamlStats.fallbacks - before.fallbacks).toBe(0);
  });
});

describe('values outside the writer\'s domain go to the yaml library, with the same bytes', () => {
  const shared = { app: 'x' };
  const cases: [string, unknown][] = [
    ['an undefined value (keepUndefined)', { a: undefined, b: [undefined] }],
    ['NaN and infinities', { a: NaN, b: Infinity, c: -Infinity }],
    ['a bigint', { a: BigInt(10) }],
    ['a Date', { a: new Date(0) }],
    ['a Map', { a: new Map([['k', 1]]) }],
    ['a class instance with toJSON', { a: new (class { toJSON() { return 'j'; } })() }],
    ['the same object twice (the library writes an alias)', { a: shared, b: shared }],
    ['the same array twice', { a: [1], b: undefined as unknown }],
    ['a sparse array', { a: [1, , 3] }], // eslint-disable-line no-sparse-arrays
    ['a control character', { a: 'bell\u0007' }],
    ['a carriage return', { a: 'a\r\nb' }],
    ['a lone surrogate', { a: '\ud800x' }],
    ['a multi-line key with a space before a newline', { 'a \nb': 1 }],
    ['a key of 1100 characters', { ['k'.repeat(1100)]: 1 }],
    ['a block ending in spaces', { a: 'x\ny  ' }],
    ['a block ending in a newline and a tab', { a: 'x\n\t' }],
    ['only newlines', { a: '\n\n' }],
    ['a top-level array', [1, 2]],
    ['a top-level string', 'text'],
  ];
  const arr = [1];
  (cases[7][1] as any).a = arr;
  (cases[7][1] as any).b = arr;

  test.each(cases)('%s', (_name, v) => {
    const before = manifestYamlStats.fallbacks;
    expect(stringifyManifests([v])).toBe(cdk8sStringify(v));
    expect(manifestYamlStats.fallbacks).toBe(before + 1);
  });

  test('keys of at most 1000 characters whose written form is over 1024 (escapes, quotes) are explicit keys, as the library writes them', () => {
    // The library (yaml 2.9.1 dist/stringify/stringifyPair.js) makes a key explicit (`? key`)
    // when the key as written, quotes and escapes included, is over 1024 characters.
    const docs = [
      { ['\'' + '"'.repeat(999)]: 1 },
      { ['\'' + '\\'.repeat(600)]: 1 },
      { ['a\n'.repeat(400)]: 1 },
      { a: { ['#' + '\\'.repeat(900)]: 'x' } },
    ];
    for (const d of docs) expect(stringifyManifests([d])).toBe(cdk8sStringify(d));
    // The boundary: written as 1024 characters (quotes included) stays implicit, 1025 does not.
    for (const k of ['#' + 'x'.repeat(1021), '#' + 'x'.repeat(1022), 'x'.repeat(1024), 'x'.repeat(1025)]) {
      expect(stringifyManifests([{ [k]: 1 }])).toBe(cdk8sStringify({ [k]: 1 }));
    }
  });

  test('a document outside the domain does not send the others to the library', () => {
    const before = manifestYamlStats.fallbacks;
    const docs = [{ a: 1 }, { a: NaN }, { a: 'x' }];
    expect(stringifyManifests(docs)).toBe(cdk8sStringify(...docs));
    expect(manifestYamlStats.fallbacks).toBe(before + 1);
  });

  test('the fallback is the yaml copy cdk8s loads, or the one given (synthesizeApp gives cdk8s\'s Yaml.stringify)', () => {
    const cdk8sYaml = require(require.resolve('yaml', { paths: [path.dirname(require.resolve('cdk8s/package.json'))] }));
    expect(cdk8sYaml).not.toBe(require('yaml')); // cdk8s has its own copy here
    const spy = jest.spyOn(cdk8sYaml, 'stringify');
    try {
      expect(stringifyManifests([{ a: NaN }])).toBe('a: .nan\n');
      expect(spy).toHaveBeenCalledWith({ a: NaN }, { keepUndefined: true, lineWidth: 0, version: '1.1' });
    } finally {
      spy.mockRestore();
    }
    const given: unknown[] = [];
    expect(stringifyManifests([{ a: 1 }, { b: undefined }], (d) => { given.push(d); return 'X\n'; })).toBe('a: 1\n---\nX\n');
    expect(given).toEqual([{ b: undefined }]);
  });

  test('JSON-like values are written without the library', () => {
    const before = manifestYamlStats.fallbacks;
    const docs = [{ a: 'x\ny\n', b: ['0755', 'yes', -0, 1e21, null, true, {}, []], 'c d': { '<<': 'on', '---': 1, 'multi\nline': 2 }, '---': 1, '%a': 2, '... b': 3 }];
    expect(stringifyManifests(docs)).toBe(cdk8sStringify(...docs));
    expect(manifestYamlStats.fallbacks).toBe(before);
  });
});
