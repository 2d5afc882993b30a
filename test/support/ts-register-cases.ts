/**
 * The require hook's cache cases (scripts/ts-register.js never serves stale JavaScript), for
 * either compiler: test/synth-fast.test.ts runs them with @swc/core (npm test),
 * test/integration/ts-register.itest.ts with the TypeScript fallback.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './fixtures';

export function describeStaleCacheCases(compiler: '@swc/core' | 'typescript', scratch: () => string): void {
  describe(`scripts/ts-register.js with ${compiler} never serves stale JavaScript`, () => {
    const run = (file: string, cache: string) => spawnSync(process.execPath, ['-r', path.join(ROOT, 'scripts', 'ts-register.js'), file], {
      encoding: 'utf8', env: { ...process.env, CDK8S_MASTODON_TS_CACHE: cache, CDK8S_MASTODON_TS_COMPILER: compiler },
    });
    const cached = (cache: string) => fs.readdirSync(cache, { recursive: true }).filter((f) => String(f).endsWith('.js'));

    test('an edit is picked up even when size and mtime stay the same; the compiled file is reused when nothing changed', () => {
      const dir = path.join(scratch(), `hook-${compiler.replace(/\W/g, '')}`);
      const cache = path.join(dir, 'cache');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'main.ts');
      fs.writeFileSync(path.join(dir, 'dep.ts'), 'export const n: number = 1;\n');
      fs.writeFileSync(file, "import { n } from './dep';\nconst x: string = 'A' + n;\nconsole.log(x);\n");
      const stamp = new Date('2020-01-01T00:00:00Z');
      fs.utimesSync(file, stamp, stamp);
      expect(run(file, cache).stdout).toBe('A1\n');
      expect(cached(cache)).toHaveLength(2);

      // Same length, same mtime, different content.
      fs.writeFileSync(file, "import { n } from './dep';\nconst x: string = 'B' + n;\nconsole.log(x);\n");
      fs.utimesSync(file, stamp, stamp);
      expect(run(file, cache).stdout).toBe('B1\n');
      // An imported file's edit too.
      fs.writeFileSync(path.join(dir, 'dep.ts'), 'export const n: number = 2;\n');
      expect(run(file, cache).stdout).toBe('B2\n');
      expect(cached(cache)).toHaveLength(4);

      // Unchanged sources: served from the cache (prove it by editing a cache entry's bytes in a
      // way only a cache read can surface), so a hit really skips the compiler.
      const entries = cached(cache).map((f) => path.join(cache, String(f)));
      for (const e of entries) if (fs.readFileSync(e, 'utf8').includes("'B'")) fs.writeFileSync(e, fs.readFileSync(e, 'utf8').replace("'B'", "'C'"));
      expect(run(file, cache).stdout).toBe('C2\n');
    });

    test('a compile error is reported with the file and line, and nothing is cached for it', () => {
      const dir = path.join(scratch(), `hook-error-${compiler.replace(/\W/g, '')}`);
      const cache = path.join(dir, 'cache');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'broken.ts');
      fs.writeFileSync(file, 'const = 1;\n');
      const r = run(file, cache);
      expect(r.status).not.toBe(0);
      // The first line a reader sees names the file, the line and the column.
      expect(r.stderr).toMatch(/broken\.ts:1:\d+ - error/);
      expect(fs.existsSync(cache) ? cached(cache) : []).toEqual([]);
    });
  });
}
