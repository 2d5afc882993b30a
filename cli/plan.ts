import * as fs from 'fs';
import * as path from 'path';
import { parseArgsOrExit } from './args';
import { lib } from './common';
import { Invocation, loadConfigOrExit, png, shown, synopsis } from './invocation';

/** What `plan --help` prints. */
export const planUsage = (inv: Invocation) => `${synopsis(inv, 'plan', '--out DIR')}
Places the pods on the nodes as the kube-scheduler would, replays the loss of every node, checks
each rollout's room, prints the tables and a verdict (exit 1 when it does not hold), and writes
plan.svg and plan.png.
  --out DIR   write plan.svg and plan.png into DIR (default: ${shown(inv.planOut)}${inv.planOut === process.cwd() ? ', the current folder' : ''})
  -h, --help  print this help
${inv.configNote}`;

/** plan: where the config's pods land on its nodes, after losing any one of them, and each rollout's room; and its picture. */
export function plan(args: string[], inv: Invocation): number {
  const { values } = parseArgsOrExit(planUsage(inv), { args, options: { out: { type: 'string' } } });
  const out = path.resolve(values.out ?? inv.planOut);
  const { formatPlan, planConfig, planSvg } = lib();
  const report = planConfig(loadConfigOrExit(inv));
  console.log(formatPlan(report));
  fs.mkdirSync(out, { recursive: true });
  const svg = planSvg(report);
  fs.writeFileSync(path.join(out, 'plan.svg'), svg);
  fs.writeFileSync(path.join(out, 'plan.png'), png(svg));
  console.log(`\nwrote ${shown(path.join(out, 'plan.svg'))} and plan.png`);
  return report.ok ? 0 : 1;
}
