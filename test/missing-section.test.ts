/** A missing section names the fields it needs in plain English, not the type it is. */
import { exampleRaw, errorsOf, messageAt, withChange } from './support/fixtures';

test('a missing smtp section lists its required fields', () => {
  const m = messageAt(errorsOf(withChange(exampleRaw(), (c) => { delete c.smtp; })), 'smtp');
  expect(m).not.toMatch(/a object|an object/);
  expect(m).toMatch(/^is missing; add an? 'smtp:' section with server \(.*\) and fromAddress \(.*\)/);
  // Fields with defaults are not listed as required.
  expect(m).not.toMatch(/\bport\b/);
});

test('a missing discriminated section names each mode and its required fields', () => {
  const m = messageAt(errorsOf(withChange(exampleRaw(), (c) => { delete c.database; })), 'database');
  expect(m).toMatch(/^is missing; add a 'database:' section with mode: external \(with host, passwordSecret.*\) or mode: cnpg/);
});

test('a missing nested section', () => {
  const m = messageAt(errorsOf(withChange(exampleRaw(), (c) => { delete c.nodes; })), 'nodes');
  expect(m).toMatch(/add a 'nodes:' section with inventory \(Every node the workloads may run on\.?\)/);
});
