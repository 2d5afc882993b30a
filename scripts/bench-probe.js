/*
 * Memory probe for `npm run bench` (plain CommonJS: it is loaded with NODE_OPTIONS=--require,
 * before ts-node or anything else exists in the process). When CDK8S_MASTODON_BENCH_RSS names a
 * file, every Node process of the measured tree appends one JSON line to it as it exits: its
 * pid, parent pid, script, peak resident memory (process.resourceUsage().maxRSS, KiB: the
 * kernel's ru_maxrss, the figure /usr/bin/time -f %M reports), and whether it loaded the
 * project's library (lib/ or build/lib/ under CDK8S_MASTODON_BENCH_ROOT, loaded by Node or bundled
 * by scripts/bundle-run.js): that is the process that renders. A process killed by a signal
 * writes nothing (the bench then reports the render process as not found).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const file = process.env.CDK8S_MASTODON_BENCH_RSS;
const root = process.env.CDK8S_MASTODON_BENCH_ROOT;
if (file) {
  process.on('exit', () => {
    const libs = root ? [path.join(root, 'lib') + path.sep, path.join(root, 'build', 'lib') + path.sep] : [];
    // Files loaded by Node, and those inside a bundle run by scripts/bundle-run.js.
    const loaded = [...Object.keys(require.cache), ...(globalThis[Symbol.for('cdk8s-mastodon.bundled-files')] ?? [])];
    const record = {
      pid: process.pid,
      ppid: process.ppid,
      script: process.argv.slice(1).join(' ').slice(0, 200),
      maxRssKiB: process.resourceUsage().maxRSS,
      rendersLib: loaded.some((k) => libs.some((l) => k.startsWith(l))),
      modules: loaded.length,
    };
    try { fs.appendFileSync(file, `${JSON.stringify(record)}\n`); } catch { /* the bench reports a missing record */ }
  });
}
