/**
 * Where the files that ship with the package are (schemas/, crds/, config/), from the source
 * tree (lib/app) and from the compiled package (build/lib/app) alike.
 */
import * as fs from 'fs';
import * as path from 'path';

let cached: string | undefined;

/** The folder that holds this package's package.json. */
export function packageRoot(): string {
  if (cached) return cached;
  for (let d = __dirname; ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cdk8s-mastodon') return (cached = d);
    if (path.dirname(d) === d) throw new Error(`cannot find the cdk8s-mastodon package above ${__dirname}`);
  }
}

/** This package's version. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * This package's CHANGELOG.md (shipped in the package): the change guard reads the upgrade
 * notes between the version that rendered dist/ and this one from it.
 */
export function packageChangelog(): string {
  return fs.readFileSync(path.join(packageRoot(), 'CHANGELOG.md'), 'utf8');
}
