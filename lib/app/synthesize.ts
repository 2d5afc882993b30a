import { App, Names, Yaml, YamlOutputType } from 'cdk8s';
import { ArgoCdChart } from '../argocd';
import { MastodonChart } from '../chart';
import { ConfigError, formatErrors } from '../config/errors';
import { loadConfigFile } from '../config/load';
import { NodeTuningChart } from '../node-tuning';
import type { Manifest } from '../model';
import { annotateRenderedVersion } from '../conventions/labels';
import { IMAGES } from '../rules/images';
import { catchUpErrors } from './catch-up-check';
import { guardOutput } from './change-guard';
import { packageVersion } from './package-root';
import { describeWriteError } from './swap';
import { renderNodeTuning } from './render';

/** What {@link synthesizeApp} did. */
export type SynthesisResult =
  | { readonly ok: true; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly ConfigError[]; readonly report: string };

/** Options for {@link synthesizeApp}. */
export interface SynthesisOptions {
  /** Only the Mastodon chart: no Argo CD file (the Helm chart is made this way). @default false */
  readonly mastodonOnly?: boolean;
  /**
   * The folder with the manifests now in place, which the change guard compares the new ones
   * with (docs/change-guard.md); `false` compares nothing.
   * @default the CDK8S_MASTODON_BASELINE environment variable, else `outdir`
   */
  readonly baseline?: string | false;
}

/**
 * The app: reads and checks a config file, then writes the manifests into `outdir`. On bad
 * input it writes nothing, so whatever `outdir` held stays as it was; a write the file system
 * refuses (a full disk) is reported, not thrown.
 */
export function synthesizeApp(configFile: string, outdir: string, options: SynthesisOptions = {}): SynthesisResult {
  const result = loadConfigFile(configFile);
  if (!result.ok) return { ok: false, errors: result.errors, report: formatErrors(configFile, result.errors) };
  // The charts are built once: the catch-up check plans the very objects that are written.
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const mastodon = new MastodonChart(app, 'mastodon', { config: result.config });
  if (result.config.argocd && !options.mastodonOnly) new ArgoCdChart(app, 'argocd', { config: result.config });
  // Opt-in and privileged: its own file, applied by a cluster admin, outside the Argo CD project.
  const tuning = result.config.nodeTuning.bbr && !options.mastodonOnly
    ? new NodeTuningChart(app, 'node-tuning', { instance: result.config.name, namespace: result.config.nodeTuning.namespace, image: IMAGES.netcheck })
    : undefined;
  // Every object names the library version that rendered it: the change guard reads it back.
  annotateRenderedVersion(app, packageVersion());
  // The capacity check plans the objects these charts render; app.synth() then writes them.
  const capacity = catchUpErrors(result.config, (): Manifest[] => [...mastodon.toJson() as Manifest[], ...(tuning ? tuning.toJson() as Manifest[] : renderNodeTuning(result.config))]);
  if (capacity.length > 0) return { ok: false, errors: capacity, report: formatErrors(configFile, capacity) };
  const warnings = [...result.config.warnings];
  const baselineDir = options.baseline ?? (process.env.CDK8S_MASTODON_BASELINE || outdir);
  if (baselineDir !== false) {
    // The files as app.synth() writes them (FILE_PER_CHART: <chart id>.k8s.yaml, Yaml.stringify).
    const charts = app.charts.map((c) => ({ file: `${Names.toDnsLabel(c)}.k8s.yaml`, objects: c.toJson() as Manifest[] }));
    const texts = Object.fromEntries(charts.map((c) => [c.file, Yaml.stringify(...c.objects)]));
    const guard = guardOutput(baselineDir, texts, () => charts.flatMap((c) => c.objects), result.config.acknowledge, configFile);
    if (!guard.ok) {
      return { ok: false, errors: guard.verdict.blocked.map((c) => ({ path: 'acknowledge', message: c.id })), report: guard.report };
    }
    if (guard.report) warnings.push(guard.report);
  }
  try {
    app.synth();
  } catch (e) {
    // A full disk or a read-only folder is reported in one line; anything else is a defect.
    const line = describeWriteError(e, outdir);
    if (!line) throw e;
    return { ok: false, errors: [{ path: '', message: line }], report: line };
  }
  return { ok: true, warnings };
}
