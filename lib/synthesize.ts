import { App, Chart, Yaml, YamlOutputType } from 'cdk8s';
import { ArgoCdChart } from './argocd';
import { catchUpErrors } from './app/catch-up-check';
import { MastodonChart } from './chart';
import { ConfigError, formatErrors } from './config/errors';
import { loadConfigFile } from './config/load';
import { NodeTuningChart } from './node-tuning';
import { IMAGES } from './rules/images';
import { stringifyManifests } from './tools/manifest-yaml';
import { renderNodeTuning } from './app/render';
import type { Manifest } from './model';

/** What {@link synthesizeApp} did. */
export type SynthesisResult =
  | { readonly ok: true; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly ConfigError[]; readonly report: string };

/** Options for {@link synthesizeApp}. */
export interface SynthesisOptions {
  /** Only the Mastodon chart: no Argo CD file (the Helm chart is made this way). @default false */
  readonly mastodonOnly?: boolean;
  /**
   * Write the files with cdk8s's own `Yaml.stringify` (the yaml library) instead of the manifest
   * writer: the same bytes, slower. This repository's main.ts, the real `cdk8s synth`, sets it, so
   * test/integration/synth-equivalence.itest.ts compares the writer with the library end to end.
   * @default false
   */
  readonly libraryYaml?: boolean;
}

/**
 * The app: reads and checks a config file, then writes the manifests into `outdir`. On bad
 * input it writes nothing, so whatever `outdir` held stays as it was.
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
  // Each chart is rendered once: what the check planned is what app.synth() writes (the
  // planner only reads the objects; rendering again cost about a sixth of the synth's time).
  const rendered = new Map<Chart, Manifest[]>();
  const once = (chart: Chart): Manifest[] => {
    let objects = rendered.get(chart);
    if (!objects) rendered.set(chart, (objects = chart.toJson() as Manifest[]));
    return objects;
  };
  const capacity = catchUpErrors(result.config, () => [...once(mastodon), ...(tuning ? once(tuning) : renderNodeTuning(result.config))]);
  if (capacity.length > 0) return { ok: false, errors: capacity, report: formatErrors(configFile, capacity) };
  for (const [chart, objects] of rendered) chart.toJson = () => objects;
  if (options.libraryYaml) {
    app.synth();
    return { ok: true, warnings: result.config.warnings };
  }
  // cdk8s's App.synth (node_modules/cdk8s/lib/app.js) writes each chart with Yaml.save, which
  // calls the static Yaml.stringify(...docs) (lib/yaml.js). For this call only, that is the
  // manifest writer: the same bytes (test/manifest-yaml.test.ts), without the yaml library's
  // node tree per object (README "How synth is fast"); a document outside its domain is written
  // by cdk8s's own Yaml.stringify. Restored even when synth throws.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored in finally and called with .call(Yaml)
  const libraryStringify = Yaml.stringify;
  Yaml.stringify = (...docs: unknown[]) => stringifyManifests(docs, (doc) => libraryStringify.call(Yaml, doc));
  try {
    app.synth();
  } finally {
    Yaml.stringify = libraryStringify;
  }
  return { ok: true, warnings: result.config.warnings };
}
