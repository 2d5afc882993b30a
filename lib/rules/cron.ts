/**
 * How far apart the runs of a cron schedule are, so an alert can say "the newest backup is older
 * than its schedule allows". Pure: no cdk8s imports.
 *
 * Understands what CloudNativePG's ScheduledBackup accepts (robfig/cron with seconds): six fields
 * `second minute hour day-of-month month day-of-week` with `*`, `?`, lists, ranges and steps, and
 * the @yearly/@monthly/@weekly/@daily/@hourly descriptors. Day-of-month and day-of-week combine
 * the way cron does: when both are restricted, a day matches if either matches.
 */

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The values one field allows, or undefined when it cannot be read. `star` is true for `*` or `?`. */
function field(text: string, min: number, max: number, names: string[] = [], nameBase = 0): { values: Set<number>; star: boolean } | undefined {
  const values = new Set<number>();
  const num = (t: string): number | undefined => {
    const i = names.indexOf(t.toLowerCase());
    if (i >= 0) return i + nameBase;
    return /^\d+$/.test(t) ? Number(t) : undefined;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) return undefined;
    let lo: number | undefined;
    let hi: number | undefined;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = num(a);
      hi = num(b);
    } else {
      lo = num(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo === undefined || hi === undefined || lo < min || hi > max || lo > hi) return undefined;
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star: text === '*' || text === '?' };
}

/**
 * How long after its schedule's longest gap a run may still be missing before an alert fires: a
 * quarter of the gap, at least 3 hours (a daily schedule gets 30 hours, a weekly one 8 d 18 h).
 */
export function missedRunGrace(gapSeconds: number): number {
  return Math.max(Math.ceil(gapSeconds / 4), 3 * 3600);
}

/**
 * The longest time, in seconds, between two consecutive runs of a six-field schedule, looked at
 * over 400 days so monthly and yearly schedules are measured too. Undefined when the schedule
 * cannot be read or never runs.
 */
export function longestGapSeconds(schedule: string): number | undefined {
  const text = DESCRIPTORS[schedule.trim()] ?? schedule.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 6) return undefined;
  const sec = field(parts[0], 0, 59);
  const min = field(parts[1], 0, 59);
  const hour = field(parts[2], 0, 23);
  const dom = field(parts[3], 1, 31);
  const month = field(parts[4], 1, 12, MONTHS, 1);
  const dow = field(parts[5].replace(/\b7\b/g, '0'), 0, 6, DAYS);
  if (!sec || !min || !hour || !dom || !month || !dow) return undefined;
  const dayMatches = (d: Date): boolean => {
    const byDom = dom.values.has(d.getUTCDate());
    const byDow = dow.values.has(d.getUTCDay());
    if (dom.star || dow.star) return (dom.star || byDom) && (dow.star || byDow);
    return byDom || byDow;
  };
  const secondsOfDay: number[] = [];
  for (const h of [...hour.values].sort((a, b) => a - b)) {
    for (const m of [...min.values].sort((a, b) => a - b)) {
      for (const s of [...sec.values].sort((a, b) => a - b)) secondsOfDay.push(h * 3600 + m * 60 + s);
    }
  }
  const start = Date.UTC(2025, 0, 1);
  const runs: number[] = [];
  for (let day = 0; day < 400; day++) {
    const d = new Date(start + day * 86400_000);
    if (!month.values.has(d.getUTCMonth() + 1) || !dayMatches(d)) continue;
    for (const s of secondsOfDay) runs.push(day * 86400 + s);
  }
  if (runs.length < 2) return undefined;
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i] - runs[i - 1]);
  return gap;
}
