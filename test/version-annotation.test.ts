/**
 * Every object synth writes names the library version that rendered it (issue 22), on its own
 * metadata only: a pod template never carries it, so a library upgrade alone rolls no pod.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { synthesizeApp } from '../lib';
import { renderedVersion, VERSION_ANNOTATION } from '../lib/rules/upgrade-notes';
import { EXAMPLE_FILE, ROOT } from './support/fixtures';
import type { Manifest } from '../lib/model';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Where below the object's own metadata the annotation key appears (paths like spec.template.metadata.annotations). */
function nestedUses(value: unknown, at: string, found: string[]): string[] {
  if (Array.isArray(value)) value.forEach((v, i) => nestedUses(v, `${at}[${i}]`, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === VERSION_ANNOTATION) found.push(`${at}.${k}`);
      nestedUses(v, `${at}.${k}`, found);
    }
  }
  return found;
}

describe('the version annotation on what synth writes', () => {
  let objects: { file: string; o: Manifest }[] = [];
  beforeAll(() => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-version-'));
    try {
      const r = synthesizeApp(EXAMPLE_FILE, tmp);
      if (!r.ok) throw new Error(r.report);
      objects = fs.readdirSync(tmp).sort().flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(tmp, file), 'utf8'))
        .map((d) => d.toJS() as Manifest).filter(Boolean).map((o) => ({ file, o })));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('every chart is written (main, Argo CD, node tuning)', () => {
    expect([...new Set(objects.map((x) => x.file))]).toEqual(['argocd.k8s.yaml', 'mastodon.k8s.yaml', 'node-tuning.k8s.yaml']);
  });

  test('every object carries the package version in its own metadata', () => {
    const missing = objects.filter(({ o }) => renderedVersion(o) !== VERSION).map(({ file, o }) => `${file}: ${o.kind} ${o.metadata.name}`);
    expect(missing).toEqual([]);
  });

  test('no pod template, volume claim template or inherited metadata carries it', () => {
    const nested = objects.flatMap(({ file, o }) => {
      const { metadata: _own, ...rest } = o;
      return nestedUses(rest, `${file}: ${o.kind} ${o.metadata.name}`, []);
    });
    expect(nested).toEqual([]);
  });
});
