import { App } from 'cdk8s';
import type { Manifest, ResolvedConfig } from '../model';
import { MastodonChart } from '../chart';
import { NodeTuningChart } from '../node-tuning';
import { IMAGES } from '../rules/images';

/**
 * Renders the chart in-process to the same objects `cdk8s synth` writes to dist/, without
 * touching the disk. The planner, the tests and the benchmark read these.
 */
export function renderManifests(config: ResolvedConfig): Manifest[] {
  // No file is written: outdir only matters for app.synth(), which is not called.
  const app = new App({ outdir: 'dist' });
  const chart = new MastodonChart(app, 'mastodon', { config });
  return chart.toJson() as Manifest[];
}

/** The node-tuning chart of a config (nodeTuning.bbr), as plain objects; none when it is off. */
export function renderNodeTuning(config: ResolvedConfig): Manifest[] {
  if (!config.nodeTuning.bbr) return [];
  const app = new App({ outdir: 'dist' });
  return new NodeTuningChart(app, 'node-tuning', { instance: config.name, namespace: config.nodeTuning.namespace, image: IMAGES.netcheck }).toJson() as Manifest[];
}
