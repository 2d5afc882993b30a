/**
 * npm run plan [-- --out DIR]: places the pods of the config (MASTODON_CONFIG or the example)
 * on its nodes as the kube-scheduler would, replays the loss of every node, checks rollout
 * room, prints the tables and a verdict, and writes plan.svg and plan.png to DIR (default .plan/,
 * git-ignored; the README's pictures are `--out docs/plan` of the example). Exits non-zero when
 * the plan does not hold.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Resvg } from '@resvg/resvg-js';
import { formatErrors, loadConfigFile, planConfig } from '../lib';
import { formatPlan, planSvg } from '../lib/rules/plan-report';
import { ROOT } from './cdk8s-cli';
import { parseArgsOrExit } from '../cli/args';
import { DEFAULT_CONFIG_FILE } from './paths';

const USAGE = `usage: npm run plan [-- --out DIR]
  --out DIR   write plan.svg and plan.png into DIR (default: .plan/)
  -h, --help  print this help
The config is MASTODON_CONFIG, else config/example.yaml.`;
const { values } = parseArgsOrExit(USAGE, { options: { out: { type: 'string' } } });

const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
// Default: .plan/ (git-ignored). docs/plan/ holds the example's pictures for the README:
// regenerate them on purpose with `npm run plan -- --out docs/plan`.
const out = path.resolve(values.out ?? path.join(ROOT, '.plan'));
const r = loadConfigFile(file);
if (!r.ok) {
  process.stderr.write(`${formatErrors(file, r.errors)}\n`);
  process.exit(1);
}
const report = planConfig(r.config);
console.log(formatPlan(report));
fs.mkdirSync(out, { recursive: true });
const svg = planSvg(report);
fs.writeFileSync(path.join(out, 'plan.svg'), svg);
fs.writeFileSync(path.join(out, 'plan.png'), new Resvg(svg, { background: '#ffffff', fitTo: { mode: 'width', value: 1400 } }).render().asPng());
console.log(`\nwrote ${path.relative(process.cwd(), path.join(out, 'plan.svg'))} and plan.png`);
process.exitCode = report.ok ? 0 : 1;
