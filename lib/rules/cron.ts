/**
 * Cron schedules read the way the programs that run them read them. Pure: no cdk8s imports.
 *
 * Two dialects, both robfig/cron, verified in the sources:
 * - `kubernetes`: a CronJob's `spec.schedule`. kubernetes/kubernetes
 *   pkg/controller/cronjob/utils.go parses it with robfig/cron v3 `cron.ParseStandard`: five
 *   fields `minute hour day-of-month month day-of-week`, or an @-descriptor. The API server
 *   refuses `TZ=`/`CRON_TZ=` in new schedules (pkg/apis/batch/validation: "use timeZone field
 *   instead"); `spec.timeZone` names the zone, else the kube-controller-manager's local time.
 * - `cnpg`: a ScheduledBackup's `spec.schedule`. cloudnative-pg/cloudnative-pg
 *   internal/controller/scheduledbackup_controller.go calls robfig/cron v1.2.0 `cron.Parse`
 *   (go.mod), whose parser is `Second | Minute | Hour | Dom | Month | DowOptional | Descriptor`:
 *   seconds first. A five-field schedule would be read seconds-first with the weekday left out,
 *   which is never what a user means, so this project reads six fields only. The operator
 *   evaluates it against `time.Now()` in its own process, whose image
 *   (gcr.io/distroless/static, no /etc/localtime, no TZ) runs in UTC.
 *
 * In both (robfig/cron parser.go `getRange`, spec.go `dayMatches`): `*` or `?`, numbers, names
 * (`jan`-`dec`, `sun`-`sat`, any case), ranges `a-b`, steps `a-b/n`, `*\/n` and `a/n` (= a to the
 * maximum), lists of those; weekdays are 0-6 (7 is refused); day-of-month and day-of-week
 * combine with AND when either field starts with `*` or `?` and with OR otherwise. One
 * difference: v3 forgets the "star" of `*\/n` with n > 1 (so `*\/2` in day-of-week restricts
 * with OR), v1.2.0 keeps it. `@every` has no fixed times and is not read here.
 */

export type CronDialect = 'kubernetes' | 'cnpg';

/** A parsed schedule: the values each field allows. */
export interface CronSchedule {
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  /** Day-of-month started with `*`/`?` (robfig's star bit). */
  readonly domStar: boolean;
  /** Day-of-week started with `*`/`?` (robfig's star bit). */
  readonly dowStar: boolean;
}

/** The descriptors, as six-field schedules (robfig/cron parser.go `parseDescriptor`). */
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

interface Field { values: Set<number>; star: boolean }

/** One field, or undefined when robfig/cron would refuse it. */
function field(text: string, min: number, max: number, dialect: CronDialect, names: string[] = [], nameBase = 0): Field | undefined {
  const values = new Set<number>();
  let star = false;
  const num = (t: string): number | undefined => {
    const i = names.indexOf(t.toLowerCase());
    if (i >= 0) return i + nameBase;
    return /^\d+$/.test(t) ? Number(t) : undefined;
  };
  for (const part of text.split(',')) {
    const slash = part.split('/');
    if (slash.length > 2) return undefined;
    const [range, stepText] = slash;
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : NaN;
    if (!Number.isInteger(step) || step < 1) return undefined;
    const ends = range.split('-');
    if (ends.length > 2) return undefined;
    let lo: number | undefined;
    let hi: number | undefined;
    if (ends[0] === '*' || ends[0] === '?') {
      if (ends.length > 1) return undefined;
      lo = min;
      hi = max;
      if (dialect === 'cnpg' || step === 1) star = true;
    } else {
      lo = num(ends[0]);
      hi = ends.length === 2 ? num(ends[1]) : stepText === undefined ? lo : max;
    }
    if (lo === undefined || hi === undefined || lo < min || hi > max || lo > hi) return undefined;
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

/**
 * Parses a schedule in the given dialect; undefined when the program that runs it would refuse
 * it (or for `@every`). A `TZ=`/`CRON_TZ=` prefix is not accepted: Kubernetes refuses it and
 * robfig/cron v1.2.0 (CloudNativePG) does not know it.
 */
export function parseCron(schedule: string, dialect: CronDialect): CronSchedule | undefined {
  const trimmed = schedule.trim();
  let parts: string[];
  if (trimmed.startsWith('@')) {
    const d = DESCRIPTORS[trimmed];
    if (!d) return undefined;
    parts = d.split(' ');
  } else {
    parts = trimmed.split(/\s+/);
    if (dialect === 'kubernetes') {
      if (parts.length !== 5) return undefined;
      parts = ['0', ...parts];
    } else if (parts.length !== 6) {
      return undefined;
    }
  }
  const sec = field(parts[0], 0, 59, dialect);
  const min = field(parts[1], 0, 59, dialect);
  const hour = field(parts[2], 0, 23, dialect);
  const dom = field(parts[3], 1, 31, dialect);
  const month = field(parts[4], 1, 12, dialect, MONTHS, 1);
  const dow = field(parts[5], 0, 6, dialect, DAYS);
  if (!sec || !min || !hour || !dom || !month || !dow) return undefined;
  return {
    seconds: sec.values, minutes: min.values, hours: hour.values, daysOfMonth: dom.values, months: month.values, daysOfWeek: dow.values,
    domStar: dom.star, dowStar: dow.star,
  };
}

/** Whether the schedule runs on this (UTC-read) date: month, then day-of-month and day-of-week as robfig combines them. */
function runsOn(s: CronSchedule, d: Date): boolean {
  if (!s.months.has(d.getUTCMonth() + 1)) return false;
  const byDom = s.daysOfMonth.has(d.getUTCDate());
  const byDow = s.daysOfWeek.has(d.getUTCDay());
  return s.domStar || s.dowStar ? byDom && byDow : byDom || byDow;
}

/** Minutes in a week. */
export const WEEK_MINUTES = 7 * 24 * 60;
/** 28 years: every date falls on every weekday it can within them (the Gregorian weekday cycle for 2001-2099). */
const CYCLE_DAYS = 10227;

/**
 * The minutes of the week (0 = Sunday 00:00, in the schedule's own time zone) at which a run may
 * start, sorted. A schedule tied to dates (`0 4 1 * *`, `@yearly`) starts on whatever weekday the
 * date falls: every weekday it falls on in 28 years counts.
 */
export function weeklyStartMinutes(s: CronSchedule): number[] {
  // A day of month that is exactly `*` (star bit, all 31 days) matches every day, so a day runs
  // iff its month and weekday do (robfig's dayMatches ANDs when a star bit is set), and every
  // allowed month has every weekday: the weekdays are the field's own. Other schedules walk the
  // days below (for a weekly schedule the walk never reached 7 weekdays, so it walked all 28
  // years: a sixth of the synth's own code time).
  const everyDay = s.domStar && s.daysOfMonth.size === 31;
  const weekdays = new Set<number>(everyDay ? s.daysOfWeek : []);
  const start = Date.UTC(2024, 0, 1);
  for (let day = 0; !everyDay && day < CYCLE_DAYS && weekdays.size < 7; day++) {
    const d = new Date(start + day * 86400_000);
    if (runsOn(s, d)) weekdays.add(d.getUTCDay());
  }
  const out: number[] = [];
  for (const wd of [...weekdays].sort((a, b) => a - b)) {
    for (const h of [...s.hours].sort((a, b) => a - b)) {
      for (const m of [...s.minutes].sort((a, b) => a - b)) out.push(wd * 1440 + h * 60 + m);
    }
  }
  return out;
}

/** `Sun 04:00` for a minute of the week. */
export function formatWeekMinute(m: number): string {
  const w = ((m % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES;
  const hh = String(Math.floor((w % 1440) / 60)).padStart(2, '0');
  const mm = String(w % 60).padStart(2, '0');
  return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][Math.floor(w / 1440)]} ${hh}:${mm}`;
}

/**
 * How long after its schedule's longest gap a run may still be missing before an alert fires: a
 * quarter of the gap, at least 3 hours (a daily schedule gets 30 hours, a weekly one 8 d 18 h).
 */
export function missedRunGrace(gapSeconds: number): number {
  return Math.max(Math.ceil(gapSeconds / 4), 3 * 3600);
}

/**
 * The longest time, in seconds, between two consecutive runs of a six-field (CloudNativePG)
 * schedule, looked at over 400 days so monthly and yearly schedules are measured too. Undefined
 * when the schedule cannot be read or never runs.
 */
export function longestGapSeconds(schedule: string): number | undefined {
  const s = parseCron(schedule, 'cnpg');
  if (!s) return undefined;
  const secondsOfDay: number[] = [];
  for (const h of [...s.hours].sort((a, b) => a - b)) {
    for (const m of [...s.minutes].sort((a, b) => a - b)) {
      for (const x of [...s.seconds].sort((a, b) => a - b)) secondsOfDay.push(h * 3600 + m * 60 + x);
    }
  }
  const start = Date.UTC(2025, 0, 1);
  const runs: number[] = [];
  for (let day = 0; day < 400; day++) {
    if (!runsOn(s, new Date(start + day * 86400_000))) continue;
    for (const x of secondsOfDay) runs.push(day * 86400 + x);
  }
  if (runs.length < 2) return undefined;
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i] - runs[i - 1]);
  return gap;
}
