import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** The README's "## Quick start" section, as written. */
export function quickStart(): string {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(text);
  if (!m) throw new Error('README.md has no "## Quick start" section');
  return m[1];
}

/** The Quick start's ```sh blocks, in order: from the registry, then from a checkout. */
export function quickStartBlocks(): string[] {
  return [...quickStart().matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** This package's version, from package.json. */
export const packageVersion = (): string => (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
