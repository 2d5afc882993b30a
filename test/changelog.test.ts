/**
 * CHANGELOG.md follows Keep a Changelog 1.1.0, its newest release is the package's version, and
 * it ships in the package (the change guard of a server repository reads the installed copy).
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageChangelog, packageVersion } from '../lib/app/package-root';
import { compareVersions, libraryUpgradeNotes } from '../lib/rules/upgrade-notes';
import { ROOT } from './support/fixtures';

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; files: string[] };
const MD = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
const RELEASES = [...MD.matchAll(/^## \[([^\]]+)\](?: - (\S+))?$/gm)].map((m) => ({ name: m[1], date: m[2] }));
const SECTIONS = ['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'];

test('the newest release is package.json\'s version', () => {
  const released = RELEASES.filter((r) => r.name !== 'Unreleased');
  expect(released[0]?.name).toBe(PKG.version);
});

test('[Unreleased] comes first, then releases newest first, each with an ISO date', () => {
  expect(RELEASES[0]?.name).toBe('Unreleased');
  const released = RELEASES.slice(1);
  for (const r of released) expect(r.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  for (let i = 1; i < released.length; i++) expect(compareVersions(released[i - 1].name, released[i].name)).toBeGreaterThan(0);
});

test('only Keep a Changelog\'s kinds of change head the sections', () => {
  const kinds = [...MD.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
  expect(kinds.filter((k) => !SECTIONS.includes(k))).toEqual([]);
});

test('every breaking change says how to upgrade', () => {
  const breaking = MD.split(/\n(?=- )/).filter((b) => b.startsWith('- **Breaking'));
  expect(breaking.length).toBeGreaterThan(0);
  expect(breaking.filter((b) => !/Upgrade:/.test(b))).toEqual([]);
});

test('the package ships CHANGELOG.md', () => {
  expect(PKG.files).toContain('CHANGELOG.md');
});

test('the package reads its own CHANGELOG and version, as a server repository\'s installed copy does', () => {
  expect(packageVersion()).toBe(PKG.version);
  expect(packageChangelog()).toBe(MD);
  expect(libraryUpgradeNotes(packageChangelog(), '0.1.0', packageVersion()).length).toBeGreaterThan(0);
});
