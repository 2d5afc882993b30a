import * as path from 'path';
import { parseArgsOrExit } from './args';
import { die, lib } from './common';
import { Invocation, shown, synopsis } from './invocation';

/** What `helm --help` prints (the package's own script is `npm run synth:helm`). */
export const helmUsage = (inv: Invocation, name = 'helm') => `${synopsis(inv, name, '--out DIR')}
Writes a Helm chart of the same manifests as dist/ (outside dist/, so Argo CD never applies both),
replacing DIR only when the whole chart was built.
  --out DIR   write the Helm chart into DIR (default: ${shown(inv.chartOut)}/)
  -h, --help  print this help
${inv.configNote}`;

/**
 * helm: the Helm chart of the config into `--out` (cli/helm-chart.ts). `name` is how the
 * command is called (`synth:helm` in this package, `helm` in a server repository).
 * `templates` replaces the in-process synth (the integration suite passes the real cdk8s CLI).
 */
export function helm(args: string[], inv: Invocation, name = 'helm'): number {
  const { values } = parseArgsOrExit(helmUsage(inv, name), { args, options: { out: { type: 'string' } } });
  const out = path.resolve(values.out ?? inv.chartOut);
  const { buildHelmChart, packageVersion } = lib();
  const regenerate = inv.style === 'npm' ? `npm run ${name}` : 'npm run helm';
  const problem = buildHelmChart(out, inv.configFile, { regenerate });
  if (problem) die(`${problem}\n${name} failed: ${shown(out)}/ was left as it was.`);
  console.log(`wrote ${shown(out)}/ (cdk8s-mastodon ${packageVersion()})`);
  return 0;
}
