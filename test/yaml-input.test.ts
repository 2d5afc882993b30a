/**
 * The YAML edge: syntax errors name the line the user must change, in a plain sentence, and
 * hostile input (an alias bomb, an alias to nothing) is refused like any other bad input.
 */
import { loadConfigText } from '../lib';

function messages(text: string): string[] {
  const r = loadConfigText(text, 'server.yaml');
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors.map((e) => e.message);
}

test.each([
  // An over-indented line: the parser blames the line above; the line to fix is the indented one.
  ['name: ocw\nweb:\n  replicas: 2\n   pool: cloud\n', 4, /indented further than the line above/],
  ['name: ocw\nweb:\n  replicas: 2\n pool: cloud\n', 4, /not lined up with the lines before it/],
  // An unclosed quote: the parser reports the end of the file; the quote opened on line 2.
  ['name: ocw\ndomain: "abc\nweb:\n  x: 1\n', 2, /quote opened on line 2 is never closed/],
  ["name: ocw\ndomain: 'abc\nweb: 1\n", 2, /quote opened on line 2 is never closed/],
  ['name: ocw\ndomain: ocw.social\nweb: replicas: 2\n', 3, /two 'key: value' pairs on one line/],
  ['name: ocw\n\tweb: 1\n', 2, /indented with a tab/],
  ['name: ocw\nname: other\n', 2, /'name' is already set above/],
  ['name: ocw\nnodes: [1, 2\nweb: 3\n', 2, /\[ opened on line 2 is never closed/],
])('syntax error %#: names line %p in plain words', (text, line, sentence) => {
  const ms = messages(text);
  expect(ms[0]).toMatch(new RegExp(`^line ${line}: `));
  expect(ms[0]).toMatch(sentence);
  // No parser jargon.
  for (const m of ms) expect(m).not.toMatch(/implicit|compact mapping|flow (map|sequence)|block/i);
  // One message per line to fix.
  expect(new Set(ms).size).toBe(ms.length);
});

test('an alias bomb is refused cleanly, not with a stack trace', () => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++) {
    const name = String.fromCharCode(97 + i);
    const prev = String.fromCharCode(96 + i);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const ms = messages(`${levels.join('\n')}\n`);
  expect(ms).toHaveLength(1);
  expect(ms[0]).toMatch(/aliases .* expand.*too large.*write the values out/);
});

test('an alias to an anchor that does not exist is refused cleanly', () => {
  const ms = messages('name: ocw\ndomain: *nowhere\n');
  expect(ms[0]).toMatch(/^line 2: .*\*nowhere.*anchor/);
});

test('a few ordinary aliases still work', () => {
  const r = loadConfigText('name: ocw\nx: &r { cpu: 1 }\n', 'server.yaml');
  // Refused for the unknown key x, not for the alias.
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors.map((e) => e.path)).toContain('x');
});
