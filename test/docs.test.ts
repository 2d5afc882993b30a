/**
 * The docs as a newcomer meets them: a short README, a configuration reference that is what the
 * schema says now, and links that lead somewhere.
 */
import * as fs from 'fs';
import { CONFIG_REFERENCE_FILE, renderConfigReference } from '../scripts/config-reference';

describe('configuration reference', () => {
  test('docs/configuration-reference.md is what npm run docs:config writes from the schema now', () => {
    expect(fs.readFileSync(CONFIG_REFERENCE_FILE, 'utf8')).toBe(renderConfigReference());
  });

  test('every field path of the schema has a row, with its default', () => {
    const text = renderConfigReference();
    for (const p of ['name', 'web.replicas', 'sidekiq.processes[].queues', 'database.backup.objectStore.destinationPath', 'restarts.sidekiq']) {
      expect(text).toContain(`| \`${p}\` |`);
    }
    expect(text).toMatch(/\| `namespace` \| string \| {2}\| `"mastodon"` \|/);
  });

  test('a field added to the schema makes the file stale', () => {
    const schema = { type: 'object', properties: { name: { type: 'string', description: 'Instance name.' }, extra: { type: 'integer', default: 3, description: 'New.' } }, required: ['name'] };
    expect(renderConfigReference(schema)).toContain('| `extra` | integer |  | `3` | New. |');
    expect(renderConfigReference(schema)).not.toBe(fs.readFileSync(CONFIG_REFERENCE_FILE, 'utf8'));
  });
});

