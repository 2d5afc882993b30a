import * as fs from 'fs';
import * as path from 'path';
import {
  compareVersions, libraryUpgradeNotes, MASTODON_CATALOG_READ_UP_TO, mastodonUpgradeSteps, renderedVersion, VERSION_ANNOTATION,
  VERSION_BEFORE_ANNOTATION,
} from '../lib/rules/upgrade-notes';
import { VERSION_ANNOTATION as FROM_LABELS, renderedVersion as readerFromLabels } from '../lib/conventions/labels';
import type { Manifest } from '../lib/model';
import { exampleRaw, render, withChange } from './support/fixtures';

describe('compareVersions', () => {
  test.each([
    ['0.1.0', '0.2.0', -1], ['v4.3.0', '4.3.0', 0], ['v4.10.0', 'v4.9.9', 1], ['1.0.0-beta.2', '1.0.0', -1],
    ['1.0.0-beta.2', '1.0.0-beta.10', -1], ['1.0.0-alpha', '1.0.0-alpha.1', -1], ['1.0.0-rc.1', '1.0.0-beta.9', 1], ['v4.3.0+glitch', 'v4.3.0', 0],
  ])('%s vs %s', (a, b, sign) => expect(Math.sign(compareVersions(a, b))).toBe(sign));
  test('a string that is not a version is refused with the expected form', () => {
    expect(() => compareVersions('latest', '0.1.0')).toThrow(/major\.minor\.patch/);
  });
});

const CHANGELOG = `# Changelog

## [Unreleased]

### Changed

- **Breaking:** not released yet, never reported.

## [0.4.0] - 2027-01-01

### Changed

- **Breaking:** the Redis Secret moved.
  Upgrade: rename it first.
- Not breaking.

## [0.3.1] - 2026-12-20

### Fixed

- A fix.

## [0.3.0] - 2026-12-10

### Removed

- **Breaking:** \`foo\` is gone. Upgrade: delete it from the config.

## [0.2.0] - 2026-12-07

### Changed

- **Breaking:** the backup Secret's keys changed.

[Unreleased]: https://example.invalid/compare/v0.4.0...HEAD
`;

describe('libraryUpgradeNotes', () => {
  test('collects the breaking bullets of the releases after from up to to, oldest first, with continuation lines', () => {
    expect(libraryUpgradeNotes(CHANGELOG, '0.2.0', '0.4.0')).toEqual([
      '0.3.0: **Breaking:** `foo` is gone. Upgrade: delete it from the config.',
      '0.4.0: **Breaking:** the Redis Secret moved. Upgrade: rename it first.',
    ]);
  });
  test('the from release itself and releases after to are left out', () => {
    expect(libraryUpgradeNotes(CHANGELOG, '0.1.0', '0.2.0')).toEqual(['0.2.0: **Breaking:** the backup Secret\'s keys changed.']);
    expect(libraryUpgradeNotes(CHANGELOG, '0.3.0', '0.3.1')).toEqual([]);
  });
  test('nothing between equal versions or on a downgrade', () => {
    expect(libraryUpgradeNotes(CHANGELOG, '0.4.0', '0.4.0')).toEqual([]);
    expect(libraryUpgradeNotes(CHANGELOG, '0.4.0', '0.2.0')).toEqual([]);
  });
  test('this repository\'s CHANGELOG: 0.1.0 -> 0.2.0 names the backup Secret\'s keys', () => {
    const md = fs.readFileSync(path.join(__dirname, '..', 'CHANGELOG.md'), 'utf8');
    const notes = libraryUpgradeNotes(md, '0.1.0', '0.2.0');
    expect(notes.some((n) => n.startsWith('0.2.0: **Breaking') && /backup Secret/.test(n))).toBe(true);
  });
});

describe('mastodonUpgradeSteps', () => {
  test('v4.2.5 -> v4.4.0 lists v4.3.0 (encryption keys) and v4.4.0, each with its source', () => {
    const steps = mastodonUpgradeSteps('v4.2.5', 'v4.4.0');
    expect(steps.map((s) => s.version)).toEqual(['v4.3.0', 'v4.4.0']);
    expect(steps[0].steps.join(' ')).toMatch(/db:encryption:init/);
    expect(steps[1].steps.join(' ')).toMatch(/REDIS_NAMESPACE/);
    for (const s of steps) expect(s.source).toBe(`mastodon/mastodon v4.5.6 CHANGELOG.md, "## [${s.version.slice(1)}]"`);
  });
  test('a patch upgrade inside a minor release needs nothing', () => {
    expect(mastodonUpgradeSteps('v4.3.1', 'v4.3.8')).toEqual([]);
  });
  test('from v3.5 to the end of the catalog covers every minor release from v4.0.0 with an action', () => {
    expect(mastodonUpgradeSteps('v3.5.7', MASTODON_CATALOG_READ_UP_TO).map((s) => s.version)).toEqual(['v4.0.0', 'v4.1.0', 'v4.2.0', 'v4.3.0', 'v4.4.0', 'v4.5.0']);
    expect(mastodonUpgradeSteps('v4.0.2', 'v4.1.4').map((s) => s.version)).toEqual(['v4.1.0']);
  });
  test('a downgrade or no change lists nothing', () => {
    expect(mastodonUpgradeSteps('v4.4.0', 'v4.2.0')).toEqual([]);
    expect(mastodonUpgradeSteps('v4.4.0', 'v4.4.0')).toEqual([]);
  });
  test('past the catalog, a last entry says which release notes are left to read', () => {
    const steps = mastodonUpgradeSteps('v4.4.0', 'v4.7.2');
    expect(steps.map((s) => s.version)).toEqual(['v4.5.0', 'v4.7.2']);
    expect(steps[1].steps[0]).toContain(`after ${MASTODON_CATALOG_READ_UP_TO} up to v4.7.2`);
    expect(steps[1].source).toContain('releases/tag/v4.7.2');
  });
});

describe('the version annotation', () => {
  test('renderedVersion reads the annotation, and labels.ts re-exports the same key and reader', () => {
    expect(VERSION_ANNOTATION).toBe('cdk8s-mastodon/version');
    expect(FROM_LABELS).toBe(VERSION_ANNOTATION);
    expect(readerFromLabels).toBe(renderedVersion);
    expect(renderedVersion({ metadata: { name: 'x', annotations: { [VERSION_ANNOTATION]: '0.2.0' } } })).toBe('0.2.0');
    expect(renderedVersion({ metadata: { name: 'x' } })).toBeUndefined();
    expect(renderedVersion(undefined)).toBeUndefined();
  });
  test('an object without it counts as rendered by 0.1.0, so the 0.2.0 notes apply to it', () => {
    const md = fs.readFileSync(path.join(__dirname, '..', 'CHANGELOG.md'), 'utf8');
    const from = renderedVersion({ metadata: { name: 'x' } }) ?? VERSION_BEFORE_ANNOTATION;
    expect(libraryUpgradeNotes(md, from, '0.2.0').length).toBeGreaterThan(0);
  });
});

describe('docs/upgrading.md: the backup Secret\'s key names (0.1.0 -> 0.2.0)', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'upgrading.md'), 'utf8').replace(/\s+/g, ' ');
  const keysOf = (objects: Manifest[]): string[] => {
    const store = objects.find((o) => o.kind === 'ObjectStore');
    return JSON.stringify(store?.spec).match(/"key":"[A-Z_]+"/g) ?? [];
  };

  test('the new default names the doc gives are the ones the ObjectStore renders', () => {
    expect(doc).toContain('it now defaults to `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`');
    expect(keysOf(render())).toEqual(['"key":"AWS_ACCESS_KEY_ID"', '"key":"AWS_SECRET_ACCESS_KEY"']);
  });

  test('keeping the old names as the doc says renders the old keys', () => {
    expect(doc).toContain('`accessKeyIdKey: ACCESS_KEY_ID`, `secretAccessKeyKey: ACCESS_SECRET_KEY`');
    const raw = withChange(exampleRaw(), (c) => {
      Object.assign(c.database.backup.objectStore.credentialsSecret, { accessKeyIdKey: 'ACCESS_KEY_ID', secretAccessKeyKey: 'ACCESS_SECRET_KEY' });
    });
    expect(keysOf(render(raw))).toEqual(['"key":"ACCESS_KEY_ID"', '"key":"ACCESS_SECRET_KEY"']);
  });
});
