/**
 * Sidekiq threads (issue 24, defect 9): memory per thread against the process's request and
 * limit, and threads per pooler server connection.
 */
import { resolveConfig } from '../lib';
import { errorsOf, exampleRaw, messageAt, resolved, withChange } from './support/fixtures';
import { sidekiqMemoryNeed, sidekiqThreadProblems, SIDEKIQ_JOB_WORKING_SET, THREADS_PER_SERVER_CONNECTION } from '../lib/rules/sidekiq-threads';

const sixty = (c: any) => { for (const p of c.sidekiq.processes) p.concurrency = 60; };

describe('the example', () => {
  test('passes without a warning about threads', () => {
    expect(resolved().warnings.filter((w) => /thread/.test(w))).toEqual([]);
  });
});

describe('concurrency 60 on three processes (the issue)', () => {
  test('is refused: 540 threads at the maxima share 50 pooler server connections', () => {
    const errors = errorsOf(withChange(exampleRaw(), sixty));
    const m = messageAt(errors, 'sidekiq.processes');
    expect(m).toMatch(/up to 540 threads \(default 1 × 60, push 4 × 60, pull 4 × 60\)/);
    expect(m).toMatch(/50 server connections \(2 poolers × \(default_pool_size 20 \+ reserve_pool_size 5\)\): 10.8 threads per connection/);
    expect(m).toMatch(/Lower concurrency or scaling.maxReplicas, or raise database.pooler.defaultPoolSize or database.pooler.instances/);
  });
  test('each process is also warned about memory per thread, with the request it needs', () => {
    const r = resolveConfig(withChange(exampleRaw(), (c) => { sixty(c); c.database.pooler.defaultPoolSize = 200; c.database.pooler.instances = 3; }));
    expect(r.ok).toBe(true);
    const warnings = r.ok ? r.config.warnings : [];
    const mem = warnings.filter((w) => /per thread/.test(w) && /requests.memory/.test(w));
    expect(mem).toHaveLength(3);
    expect(mem[0]).toMatch(/^sidekiq.processes\[0\].resources.requests.memory: 640Mi for concurrency 60 is 10.7Mi per thread/);
    expect(mem[0]).toMatch(/the 512Mi floor holds 10 threads, and each thread beyond them is assumed to hold one image at the size Mastodon stores \(3840×2160, 4 bytes per pixel: 31.6Mi\)/);
    expect(mem[0]).toMatch(/request at least 2095Mi \(and a limit above it\), or lower concurrency to 14, or split the queues over more processes/);
  });
});

describe('sidekiqThreadProblems', () => {
  const proc = (concurrency: number, memory = '640Mi', limit = '1Gi', replicas = 1, maxReplicas?: number) => ({ name: 'p', replicas, maxReplicas, concurrency, resources: { requests: { cpu: '200m', memory }, limits: { memory: limit } } });
  const pooler = { instances: 2, defaultPoolSize: 20, reservePoolSize: 5 };
  test('the need: the 512Mi floor up to ten threads, then one decoded 3840×2160 image per extra thread', () => {
    expect(SIDEKIQ_JOB_WORKING_SET).toBe(8_294_400 * 4);
    expect(sidekiqMemoryNeed(1)).toBe(512 * 2 ** 20);
    expect(sidekiqMemoryNeed(10)).toBe(512 * 2 ** 20);
    expect(sidekiqMemoryNeed(11)).toBe(Math.ceil((512 * 2 ** 20 + 8_294_400 * 4) / 2 ** 20) * 2 ** 20);
    expect(sidekiqMemoryNeed(60)).toBe(2095 * 2 ** 20);
  });
  test('per thread: no warning up to ten threads on the floor; above, the request must carry the extra threads', () => {
    expect(sidekiqThreadProblems([proc(10, '512Mi', '512Mi')], pooler).warnings).toEqual([]);
    expect(sidekiqThreadProblems([proc(20, '1Gi', '1Gi')], pooler).warnings).toEqual([]);
    expect(sidekiqThreadProblems([proc(20, '829Mi', '1Gi')], pooler).warnings).toEqual([]);
    expect(sidekiqThreadProblems([proc(20, '828Mi', '2Gi')], pooler).warnings).toHaveLength(1);
  });
  test('a limit below what the threads need is warned about too', () => {
    const w = sidekiqThreadProblems([proc(30, '1536Mi', '1Gi')], pooler).warnings;
    expect(w.some((x) => /limits.memory: 1Gi for concurrency 30/.test(x))).toBe(true);
  });
  test.each([
    [20, 1, undefined, 'none'],
    [51, 2, undefined, 'warn'],
    [101, 2, undefined, 'refuse'],
    [10, 1, 11, 'warn'],
  ] as const)('concurrency %i × replicas %i (max %s): %s', (concurrency, replicas, max, verdict) => {
    const r = sidekiqThreadProblems([proc(concurrency, '8Gi', '8Gi', replicas, max)], pooler);
    expect([r.errors.length > 0, r.warnings.some((w) => /per connection/.test(w))]).toEqual([verdict === 'refuse', verdict === 'warn']);
  });
  test('the thresholds', () => {
    expect(THREADS_PER_SERVER_CONNECTION).toEqual({ warn: 2, refuse: 4 });
  });
  test('without a pooler of ours (external database) only memory is checked', () => {
    expect(sidekiqThreadProblems([proc(100, '8Gi', '8Gi', 5)]).errors).toEqual([]);
  });
});
