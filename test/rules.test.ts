import { formatMemory, humanMemory, parseCpu, parseMemory, parsePgMemory, parsePgSizeMB } from '../lib/rules/quantity';
import {
  generateSidekiqLayout, LIGHT_QUEUES, MASTODON_QUEUES, singleQueueBlockers, validateSidekiqLayout,
} from '../lib/rules/sidekiq-layout';
import { resourceName } from '../lib/rules/names';
import { formatWeekMinute, parseCron, weeklyStartMinutes } from '../lib/rules/cron';
import { byCodeUnits } from '../lib/rules/order';

describe('quantities', () => {
  test.each([
    ['700Mi', 700 * 2 ** 20], ['1Gi', 2 ** 30], ['1.5Gi', 1.5 * 2 ** 30], ['512M', 512e6], ['1073741824', 2 ** 30], ['64Ki', 65536],
  ])('memory %s', (q, bytes) => expect(parseMemory(q)).toBe(bytes));
  test.each([['250m', 250], ['1', 1000], ['0.5', 500], ['2.25', 2250]])('cpu %s', (q, m) => expect(parseCpu(q)).toBe(m));
  test.each(['', '1 Gi', 'Gi', '1gb', '-1Gi', '1.Gi'])('malformed memory %p throws with the fix', (q) => {
    expect(() => parseMemory(q)).toThrow(/512Mi/);
  });
  test('formatting', () => {
    expect(formatMemory(700 * 2 ** 20)).toBe('700Mi');
    expect(formatMemory(2 ** 31)).toBe('2Gi');
    expect(humanMemory(1.2 * 2 ** 30)).toBe('1.2Gi');
    expect(humanMemory(640 * 2 ** 20)).toBe('640Mi');
  });
});

describe('generated Sidekiq layout', () => {
  test('three processes: scheduler and mailers lead the scheduler process, ingress second where default or push leads', () => {
    expect(generateSidekiqLayout(3, 0)).toEqual([
      ['scheduler', 'mailers', 'default', 'ingress', 'push', 'pull', 'fasp'],
      ['push', 'ingress', 'default', 'mailers', 'pull', 'fasp'],
      ['pull', 'default', 'push', 'ingress', 'mailers', 'fasp'],
    ]);
  });
  const firstHeavy = (queues: readonly string[]) => queues.find((q) => !(LIGHT_QUEUES as readonly string[]).includes(q));
  test.each([3, 4, 5, 7, 100])('%i processes: every main queue leads one, every queue is served, scheduler exactly once', (n) => {
    for (const s of [0, 1, 2, n - 1]) {
      const layout = generateSidekiqLayout(n, s);
      expect(new Set(layout.map(firstHeavy))).toEqual(new Set(['default', 'push', 'pull']));
      expect(layout.flat().filter((q) => q === 'scheduler')).toHaveLength(1);
      expect(layout[s][0]).toBe('scheduler');
      for (const q of MASTODON_QUEUES) expect(layout.flat()).toContain(q);
      for (const queues of layout) expect(new Set(queues).size).toBe(queues.length);
      const shaped = layout.map((queues, i) => ({ name: `p${i}`, replicas: i === s ? 1 : 3, queues }));
      expect(validateSidekiqLayout(shaped, [], (i) => `p[${i}]`)).toEqual([]);
    }
  });
  test.each([3, 4, 5, 7])('%i processes: ingress and mailers come before pull wherever pull does not lead', (n) => {
    for (const queues of generateSidekiqLayout(n, 0)) {
      if (firstHeavy(queues) === 'pull') continue;
      expect(queues.indexOf('ingress')).toBeLessThan(queues.indexOf('pull'));
      expect(queues.indexOf('mailers')).toBeLessThan(queues.indexOf('pull'));
    }
  });
  test.each([3, 4, 5, 6, 7])('%i processes, scheduler anywhere: no single full queue can hold any queue but fasp back', (n) => {
    for (let s = 0; s < n; s++) {
      const blockers = singleQueueBlockers(generateSidekiqLayout(n, s));
      const held = Object.fromEntries(Object.entries(blockers).filter(([q, b]) => q !== 'fasp' && b.length > 0));
      expect({ n, s, held }).toEqual({ n, s, held: {} });
    }
  });
  test('scheduler on the pull-led process: mail goes right after pull, which waits behind mailers everywhere else', () => {
    const layout = generateSidekiqLayout(3, 2);
    expect(layout[2]).toEqual(['scheduler', 'pull', 'mailers', 'default', 'push', 'ingress', 'fasp']);
    expect(layout[0]).toEqual(['default', 'ingress', 'push', 'mailers', 'pull', 'fasp']);
  });
  test('singleQueueBlockers finds the queue every process serves first (the old layout starved ingress and mailers)', () => {
    const old = [
      ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp', 'scheduler'],
      ['push', 'pull', 'default', 'ingress', 'mailers', 'fasp'],
      ['pull', 'default', 'push', 'ingress', 'mailers', 'fasp'],
    ];
    const b = singleQueueBlockers(old);
    expect(b.scheduler).toEqual(['default', 'fasp', 'ingress', 'mailers', 'pull', 'push']);
    expect(b.ingress).toEqual(['default', 'pull', 'push']);
    expect(b.mailers).toEqual(['default', 'ingress', 'pull', 'push']);
    expect(b.default).toEqual([]);
  });
  test('fewer than three processes cannot rotate', () => {
    expect(() => generateSidekiqLayout(2, 0)).toThrow(/at least 3/);
  });
});

describe('layout validation', () => {
  const at = (i: number) => `sidekiq.processes[${i}]`;
  const all = ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp'];
  test('scheduler in two processes names the first owner and the rule', () => {
    const problems = validateSidekiqLayout([
      { name: 'main', replicas: 1, queues: [...all, 'scheduler'] },
      { name: 'other', replicas: 1, queues: ['default'] },
      { name: 'third', replicas: 1, queues: ['scheduler'] },
    ], [], at);
    expect(problems).toEqual([{
      path: 'sidekiq.processes[2].queues',
      message: "'scheduler' is already served by process 'main'; the scheduler queue must run in exactly one process with replicas: 1",
    }]);
  });
  test('scheduler with two replicas', () => {
    const problems = validateSidekiqLayout([{ name: 'main', replicas: 2, queues: [...all, 'scheduler'] }], [], at);
    expect(problems.map((p) => p.path)).toEqual(['sidekiq.processes[0].replicas']);
    expect(problems[0].message).toMatch(/replicas: 1/);
  });
  test('a missing queue, a duplicate and an unknown queue are all reported', () => {
    const problems = validateSidekiqLayout([
      { name: 'main', replicas: 1, queues: ['default', 'push', 'push', 'pul', 'ingress', 'mailers', 'scheduler'] },
    ], [], at);
    expect(problems.map((p) => p.path)).toEqual([
      'sidekiq.processes[0].queues[2]', 'sidekiq.processes[0].queues[3]', 'sidekiq.processes', 'sidekiq.processes',
    ]);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/'push' appears twice/);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/'pul' is not a Mastodon queue.*customQueues/);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/no process serves the 'pull' queue/);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/no process serves the 'fasp' queue/);
  });
  test('a declared custom queue is allowed, and must be served', () => {
    expect(validateSidekiqLayout([{ name: 'main', replicas: 1, queues: [...all, 'scheduler', 'search'] }], ['search'], at)).toEqual([]);
    expect(validateSidekiqLayout([{ name: 'main', replicas: 1, queues: [...all, 'scheduler'] }], ['search'], at)[0].message)
      .toMatch(/custom queue 'search' is declared but no process serves it/);
  });
});

describe('names', () => {
  test('prefix, no hash', () => expect(resourceName('ocw', 'sidekiq', 'main')).toBe('ocw-sidekiq-main'));
  test('too long is refused', () => expect(() => resourceName('a'.repeat(60), 'sidekiq')).toThrow(/63/));
});

describe('cron schedules, read as robfig/cron reads them (Kubernetes: v3 ParseStandard; CloudNativePG: v1.2.0 Parse)', () => {
  const starts = (schedule: string, dialect: 'kubernetes' | 'cnpg') => weeklyStartMinutes(parseCron(schedule, dialect)!).map(formatWeekMinute);
  test('five fields for a CronJob, six (seconds first) for a ScheduledBackup', () => {
    expect(starts('0 4 * * 0', 'kubernetes')).toEqual(['Sun 04:00']);
    expect(starts('0 0 4 * * 0', 'cnpg')).toEqual(['Sun 04:00']);
    expect(parseCron('0 0 4 * * 0', 'kubernetes')).toBeUndefined();
    expect(parseCron('0 4 * * 0', 'cnpg')).toBeUndefined();
  });
  test('lists, ranges, steps, names and descriptors', () => {
    expect(starts('*/30 3-4 * * sun', 'kubernetes')).toEqual(['Sun 03:00', 'Sun 03:30', 'Sun 04:00', 'Sun 04:30']);
    expect(starts('15 3 * * MON-wed,Fri', 'kubernetes')).toEqual(['Mon 03:15', 'Tue 03:15', 'Wed 03:15', 'Fri 03:15']);
    expect(starts('50/5 23 ? * 6', 'kubernetes')).toEqual(['Sat 23:50', 'Sat 23:55']);
    expect(starts('@weekly', 'kubernetes')).toEqual(['Sun 00:00']);
    expect(starts('@hourly', 'cnpg')).toHaveLength(7 * 24);
  });
  test('a schedule with every day of the month starts on its weekdays only; */2 days of the month still walk the calendar', () => {
    expect(starts('0 4 * 2 3', 'kubernetes')).toEqual(['Wed 04:00']);
    expect(starts('0 4 * * 0,6', 'kubernetes')).toEqual(['Sun 04:00', 'Sat 04:00']);
    expect(starts('0 0 4 */2 * 1', 'cnpg')).toEqual(['Mon 04:00']); // AND: odd days that are Mondays
    expect(starts('0 0 4 */2 * *', 'cnpg')).toHaveLength(7);
  });
  test.each([
    ['0 4 * * 0', 'kubernetes'], ['0 4 * 2 3', 'kubernetes'], ['0 4 1 * *', 'kubernetes'], ['0 4 29 2 *', 'kubernetes'], ['0 4 1 * 1', 'kubernetes'],
    ['0 0 4 */2 * 1', 'cnpg'], ['0 0 4 1-7 * */2', 'cnpg'], ['0 0 4 31 4 *', 'cnpg'], ['@monthly', 'kubernetes'], ['@weekly', 'cnpg'],
  ] as const)('%s (%s): the weekdays are those a walk through 28 years of days finds', (schedule, dialect) => {
    const s = parseCron(schedule, dialect)!;
    const walked = new Set<number>();
    for (let day = 0; day < 10227; day++) {
      const d = new Date(Date.UTC(2024, 0, 1) + day * 86400_000);
      const dom = s.daysOfMonth.has(d.getUTCDate()); const dow = s.daysOfWeek.has(d.getUTCDay());
      if (s.months.has(d.getUTCMonth() + 1) && (s.domStar || s.dowStar ? dom && dow : dom || dow)) walked.add(d.getUTCDay());
    }
    expect([...new Set(weeklyStartMinutes(s).map((m) => Math.floor(m / 1440)))]).toEqual([...walked].sort((a, b) => a - b));
  });
  test('a date-bound schedule may start on any weekday', () => {
    expect(starts('0 4 1 * *', 'kubernetes')).toHaveLength(7);
    expect(starts('0 4 29 2 *', 'kubernetes')).toHaveLength(7);
  });
  test('day-of-month and day-of-week: OR when both are restricted, AND when one starts with *; v3 forgets the * of */2, v1.2.0 keeps it', () => {
    expect(starts('0 4 1 * 1', 'kubernetes')).toHaveLength(7); // the 1st, or any Monday
    expect(starts('0 4 * * 1', 'kubernetes')).toEqual(['Mon 04:00']);
    expect(starts('0 4 1-7 * */2', 'kubernetes')).toHaveLength(7); // OR: the first week, or an even weekday
    expect(starts('0 0 4 1-7 * */2', 'cnpg')).toEqual(['Sun 04:00', 'Tue 04:00', 'Thu 04:00', 'Sat 04:00']); // AND
  });
  test.each([
    ['0 4 * * 7', 'kubernetes'], ['TZ=UTC 0 4 * * *', 'kubernetes'], ['@every 1h', 'kubernetes'], ['0 4 * *', 'kubernetes'],
    ['5-1 * * * *', 'kubernetes'], ['*/0 * * * *', 'kubernetes'], ['0 24 * * *', 'kubernetes'], ['0 4 * * mon-', 'kubernetes'],
    ['0 0 4 * * 7', 'cnpg'], ['60 0 4 * * *', 'cnpg'], ['0 0 4 * 13 *', 'cnpg'],
  ] as const)('%s is refused (%s)', (schedule, dialect) => {
    expect(parseCron(schedule, dialect)).toBeUndefined();
  });
});

describe('sizes in both grammars: Kubernetes quantities and Postgres memory settings', () => {
  test('Kubernetes: binary and decimal suffixes, M is 10^6', () => {
    expect(parseMemory('512Mi')).toBe(512 * 2 ** 20);
    expect(parseMemory('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseMemory('1G')).toBe(1e9);
    expect(parseMemory('512M')).toBe(512e6);
    expect(() => parseMemory('512MB')).toThrow(/not a memory quantity/);
  });
  // Each value as Debian's postgres 15 reads it: postgres -C max_slot_wal_keep_size -c max_slot_wal_keep_size=<v> (base unit MB).
  test.each([
    ['512MB', 512], ['1GB', 1024], ['1TB', 1048576], ['1024kB', 1], ['1073741824B', 1024], ['1.5GB', 1536], ['2 GB', 2048], [' 3GB ', 3072],
    ['0x10', 16], ['010', 8], ['1e1GB', 10240], ['1048576', 1048576], ['1.5', 2], ['10B', 0], ['-1', -1], ['0.001TB', 1024], ['30.1GB', 30822],
  ])('Postgres: %s is %i MB', (v, mb) => {
    expect(parsePgSizeMB(v)).toBe(mb);
  });
  test.each(['1gb', '1Kb', '1M', '512Mi', 'MB', '1 G B', ''])('Postgres refuses %s (units are case-sensitive: B, kB, MB, GB, TB)', (v) => {
    expect(parsePgSizeMB(v)).toBeUndefined();
  });
  test('Postgres: a kB-based setting (work_mem) and a byte-based one', () => {
    expect(parsePgMemory('64MB', 1024)).toBe(65536);
    expect(parsePgMemory('1.5kB', 1)).toBe(1536);
  });
});

describe('byCodeUnits: text order that does not depend on the machine\'s locale', () => {
  test('UTF-16 code units, as sort() without a comparator (localeCompare puts CH after H in Czech, _ before letters in English)', () => {
    const keys = ['H', 'CH', 'A_B', 'AB', 'a', 'B'];
    expect([...keys].sort(byCodeUnits)).toEqual(['AB', 'A_B', 'B', 'CH', 'H', 'a']);
    expect([...keys].sort(byCodeUnits)).toEqual([...keys].sort());
    expect(byCodeUnits('x', 'x')).toBe(0);
  });
});
