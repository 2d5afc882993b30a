/**
 * What `npm run synth` tells the user: the warnings the config raised (they used to be
 * swallowed with the CLI's stderr), and it can write somewhere other than dist/.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { exampleRaw, ROOT, withChange } from '../support/fixtures';

jest.setTimeout(120_000);

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-synth-out-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('npm run synth prints the warnings of a config that synthesizes', () => {
  // Three Postgres instances, but only two cloud nodes: allowed, with a warning.
  const config = path.join(tmp, 'two-nodes.yaml');
  fs.writeFileSync(config, stringify(withChange(exampleRaw(), (c) => {
    c.nodes.inventory = c.nodes.inventory.filter((n: any) => n.name !== 'cloud-3');
    c.database.instances = 3;
  })));
  const out = path.join(tmp, 'out');
  const before = fs.readFileSync(path.join(ROOT, 'dist', 'mastodon.k8s.yaml'));
  const r = spawnSync('npm', ['run', '-s', 'synth', '--', '--output', out], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', MASTODON_CONFIG: config },
  });
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/warning: database: 3 instances but pool 'cloud' has 2 amd64 nodes/);
  expect(fs.existsSync(path.join(out, 'mastodon.k8s.yaml'))).toBe(true);
  // The repository's dist/ was not touched.
  expect(fs.readFileSync(path.join(ROOT, 'dist', 'mastodon.k8s.yaml')).equals(before)).toBe(true);
});
