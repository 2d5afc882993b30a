import { App } from 'cdk8s';
import type { ResolvedConfig } from './config/resolve';
import { MastodonChart } from './chart';

/** A synthesized Kubernetes object, as plain data. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

/**
 * Renders the chart in-process to the same objects `cdk8s synth` writes to dist/, without
 * touching the disk. The planner, the tests and the benchmark read these.
 */
export function renderManifests(config: ResolvedConfig): Manifest[] {
  // No file is written: outdir only matters for app.synth(), which is not called.
  const app = new App({ outdir: 'dist' });
  const chart = new MastodonChart(app, 'mastodon', { config });
  return chart.toJson();
}
