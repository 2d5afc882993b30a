/**
 * CPU quantities as Kubernetes takes them: `cpu: 4` (a YAML integer) is as valid as '4' or
 * 4000m, in every place the config takes a CPU quantity, and it reaches the objects as a
 * quantity.
 */
import { configJsonSchema, loadConfigText, planConfig } from '../lib';
import Ajv2020 from 'ajv/dist/2020';
import { stringify } from 'yaml';
import { exampleRaw, find, resolved, withChange } from './support/fixtures';
import { renderManifests } from '../lib/app/render';

test('integer and decimal CPU numbers are accepted everywhere a CPU quantity is taken', () => {
  const raw = withChange(exampleRaw(), (c) => {
    c.nodes.inventory[0].cpu = 4;
    c.nodes.inventory[1].reserve = { cpu: 1, memory: '768Mi' };
    c.nodes.reserve = { cpu: 0.25, memory: '768Mi' };
    c.web.resources.requests.cpu = 1;
    c.streaming.resources.requests.cpu = 0.5;
    c.sidekiq.processes[0].resources.requests.cpu = 1;
  });
  // Through the YAML reader too, where `cpu: 4` is a number.
  const text = stringify(raw);
  expect(text).toMatch(/cpu: 4\n/);
  const r = loadConfigText(text, 'server.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  expect(r.config.nodes.inventory[0].cpu).toBe('4');
  expect(r.config.nodes.reserve.cpu).toBe('0.25');
  const objects = renderManifests(r.config);
  expect(find(objects, 'Deployment', 'ocw-web').spec.template.spec.containers[0].resources.requests.cpu).toBe('1');
  expect(find(objects, 'Deployment', 'ocw-streaming').spec.template.spec.containers[0].resources.requests.cpu).toBe('0.5');
  const plan = planConfig(r.config);
  expect(plan.nodes.find((n) => n.name === 'cloud-1')!.capacity.cpu).toBe(4000);
});

test('the database and pooler resources take numbers too', () => {
  const c = resolved(withChange(exampleRaw(), (x) => {
    x.database.resources = { requests: { cpu: 1, memory: '1Gi' }, limits: { memory: '1Gi' } };
  }));
  expect(c.database.mode === 'cnpg' && c.database.resources.requests.cpu).toBe('1');
});

test('negative or non-finite numbers are still refused', () => {
  const r = loadConfigText(stringify(withChange(exampleRaw(), (c) => { c.nodes.inventory[0].cpu = -2; })), 'server.yaml');
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors.map((e) => e.path)).toContain('nodes.inventory[0].cpu');
});

test('the JSON Schema editors use accepts `cpu: 4`', () => {
  // Formats (uri) are not what this test is about: the editor checks them, ajv would only warn.
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const validate = ajv.compile(configJsonSchema());
  expect(validate(withChange(exampleRaw(), (c) => { c.nodes.inventory[0].cpu = 4; }))).toBe(true);
  // Accepting numbers must not cost the editor its defaults (a transform would drop them).
  const web = (configJsonSchema() as any).properties.web.properties.resources;
  expect(web.default).toEqual({ requests: { cpu: '250m', memory: '900Mi' }, limits: { memory: '1400Mi' } });
});
