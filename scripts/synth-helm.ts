/**
 * npm run synth:helm [-- --out DIR]: a Helm chart of the same manifests as dist/, written to
 * chart/ (outside dist/, so Argo CD never applies both). The chart is built by
 * cli/helm-chart.ts, the same function `cdk8s-mastodon helm` calls in a server repository.
 */
import { buildHelmChart as build, CHART_NAME } from '../cli/helm-chart';
import { helm } from '../cli/helm';
import { runTool } from '../cli/invocation';
import { cdk8sSynth } from './cdk8s-cli';
import { LIBRARY } from './paths';
import { packageVersion } from '../lib/app/package-root';

export { CHART_NAME };

/** Options for {@link buildHelmChart}. */
export interface HelmChartOptions {
  /**
   * How the templates are synthesized: in this process, or by the real `cdk8s synth --format
   * helm` (the cdk8s.yaml app through ts-node; the integration suite compares the two).
   * @default 'in-process'
   */
  readonly synth?: 'in-process' | 'cli';
}

/** Builds the chart of `configFile` into `outDir` (replacing it only on success). Returns the problems, if any. */
export function buildHelmChart(outDir: string, configFile: string = LIBRARY.configFile, options: HelmChartOptions = {}): string | undefined {
  const templates = options.synth === 'cli' ? (chart: string, file: string) => {
    const r = cdk8sSynth(chart, { MASTODON_CONFIG: file, CDK8S_MASTODON_ONLY: 'true' }, ['--format', 'helm', '--chart-version', packageVersion()]);
    return r.status === 0 ? undefined : r.stderr || r.stdout;
  } : undefined;
  return build(outDir, configFile, { templates, regenerate: 'npm run synth:helm' });
}

if (require.main === module) process.exitCode = runTool((args, inv) => helm(args, inv, 'synth:helm'), process.argv.slice(2), LIBRARY);
