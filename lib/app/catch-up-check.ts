import type { ConfigError } from '../config/errors';
import { planConfig } from './plan-config';
import type { ResolvedConfig, Manifest } from '../model';

/**
 * Refuses maxima that leave the frontend, the database or Redis without room: renders the
 * chart, plans every scalable Sidekiq group at its maximum (see `catchUpPlan`) and returns one
 * error at the last scalable group's `scaling.maxReplicas` listing what would be blocked.
 * Only when the plan holds without catch-up: otherwise the problem is not the maxima, and
 * `npm run plan` says what it is.
 *
 * `render`, when given, returns the Mastodon and node-tuning objects already built for this
 * config (called only when a group scales): see {@link planConfig}.
 */
export function catchUpErrors(config: ResolvedConfig, render?: () => readonly Manifest[]): ConfigError[] {
  const last = config.sidekiq.processes.map((p, i) => ({ p, i })).filter(({ p }) => p.scaling && !p.servesScheduler).pop();
  if (!last) return [];
  const report = planConfig(config, render?.());
  const catchUp = report.catchUp;
  if (!catchUp || catchUp.ok) return [];
  const others = report.problems.filter((p) => !catchUp.problems.includes(p) && !p.startsWith('restarting on schedule'));
  if (others.length > 0) return [];
  const shown = catchUp.problems.slice(0, 3).join('; ');
  const more = catchUp.problems.length > 3 ? ` (and ${catchUp.problems.length - 3} more: npm run plan lists them)` : '';
  return [{ path: `sidekiq.processes[${last.i}].scaling.maxReplicas`, message: `every scalable group at its maximum does not leave the frontend, the database and Redis room: ${shown}${more}` }];
}
