/**
 * Catch-up scaling of Sidekiq (KEDA and the catchUp switch) and the scheduled restarts: what
 * the chart renders, what the budget and the plan count, and what they refuse.
 */
import { connectionBudget, nodesFromInventory, planConfig, plan, resolveConfig } from '../lib';
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { podPolicyOffences } from './support/pod-policy';
import { exampleRaw, find, podMetaOf, podSpecOf, render, resolved, withChange } from './support/fixtures';
import { canReach, End, NetworkPolicyObject } from '../lib/rules/network-reach';
import { catchUpErrors } from '../lib/app/catch-up-check';
import { catchUpPlan } from '../lib/rules/catch-up';
import { podsFromObjects, placePods } from '../lib/rules/scheduler';
import { sidekiqReplicas, MAX_REPLICAS_ANNOTATION } from '../lib/rules/sidekiq-scaling';
import { RESTARTS_ANNOTATION } from '../lib/rules/restart-room';

const objects = render();
const scaled = (objs = objects) => objs.filter((o) => o.kind === 'ScaledObject');
/** The `-q` queues of a Sidekiq Deployment, read from its command and args (a shell line). */
const queuesOf = (d: any): string[] => {
  const c = podSpecOf(d).containers[0];
  const words = [...(c.command ?? []), ...(c.args ?? [])].join(' ').split(/\s+/);
  return words.flatMap((x, i) => (words[i - 1] === '-q' ? [x] : []));
};
const withScaling = (change: (c: any) => void) => withChange(exampleRaw(), change);

describe('KEDA ScaledObjects', () => {
  test('one per scalable group, none for the scheduler group', () => {
    expect(scaled().map((o) => o.metadata.name).sort()).toEqual(['ocw-sidekiq-pull', 'ocw-sidekiq-push']);
    for (const so of scaled()) {
      const target = find(objects, 'Deployment', so.spec.scaleTargetRef.name);
      expect(queuesOf(target)).not.toContain('scheduler');
    }
    expect(queuesOf(find(objects, 'Deployment', 'ocw-sidekiq-default'))).toContain('scheduler');
  });

  test('one redis trigger per queue the group serves, on the list Sidekiq uses, in database 0 of the Redis Mastodon uses', () => {
    const so = find(objects, 'ScaledObject', 'ocw-sidekiq-pull');
    const deployment = find(objects, 'Deployment', 'ocw-sidekiq-pull');
    const env = find(objects, 'ConfigMap', 'ocw-env').data;
    expect(so.spec.triggers.map((t: any) => t.metadata.listName)).toEqual(queuesOf(deployment).map((q) => `queue:${q}`));
    for (const t of so.spec.triggers) {
      expect(t.type).toBe('redis');
      // The operator is in another namespace: the Service name is qualified.
      expect(t.metadata.address).toBe(`${env.REDIS_HOST}.mastodon.svc:${env.REDIS_PORT}`);
      expect(t.metadata.databaseIndex).toBe('0');
      expect(t.metadata.listLength).toBe('500');
      expect(t.authenticationRef).toBeUndefined(); // the example's Redis has no password
    }
    // Mastodon reads no separate Sidekiq Redis and no namespace from this chart's env.
    expect(Object.keys(env).filter((k) => k.startsWith('SIDEKIQ_REDIS_') || k === 'REDIS_NAMESPACE' || k === 'REDIS_URL')).toEqual([]);
  });

  test('bounds, stabilization and cooldown come from the process; the Deployment leaves replicas to the HPA', () => {
    const objs = render(withScaling((c) => {
      c.sidekiq.processes[1].replicas = 2;
      c.sidekiq.processes[1].scaling = { maxReplicas: 5, backlogPerReplica: 200, cooldownSeconds: 120, scaleDownStabilizationSeconds: 900 };
    }));
    const so = find(objs, 'ScaledObject', 'ocw-sidekiq-push');
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([2, 5]);
    // Blind (the queues cannot be read more than 3 times in a row), KEDA reports
    // max(current, replicas) pods (kedacore/keda pkg/fallback/fallback.go doFallback with
    // currentReplicasIfHigher): it holds the catch-up pods that run and never goes below the floor.
    expect(so.spec.fallback).toEqual({ failureThreshold: 3, replicas: 2, behavior: 'currentReplicasIfHigher' });
    expect(so.spec.triggers[0].metadata.listLength).toBe('200');
    const behavior = so.spec.advanced.horizontalPodAutoscalerConfig.behavior;
    expect(behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 900, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] });
    expect(behavior.scaleUp.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 60 }]);
    const d = find(objs, 'Deployment', 'ocw-sidekiq-push');
    expect(d.spec).not.toHaveProperty('replicas');
    expect(d.metadata.annotations![MAX_REPLICAS_ANNOTATION]).toBe('5');
    // Every Deployment without a ScaledObject still states its replicas.
    const owned = new Set(scaled(objs).map((o) => o.spec.scaleTargetRef.name));
    for (const dep of objs.filter((o) => o.kind === 'Deployment' && !owned.has(o.metadata.name))) expect(dep.spec.replicas).toEqual(expect.any(Number));
  });

  // SidekiqScaling alone (polling, the TriggerAuthentication, the Redis address): test/constructs/sidekiq-scaling.test.ts.
  test('maintenance.stopWorkloads: no ScaledObject, every group at 0', () => {
    const objs = render(withScaling((c) => { c.maintenance = { enabled: true, stopWorkloads: true }; }));
    expect(scaled(objs)).toEqual([]);
    expect(find(objs, 'Deployment', 'ocw-sidekiq-push').spec.replicas).toBe(0);
  });
});

describe('the scheduler group never scales', () => {
  const layouts: [string, any][] = [
    ['generated layout, scaling on every process but one', (c: any) => { for (const p of c.sidekiq.processes.slice(1)) p.scaling = { maxReplicas: 3 }; c.sidekiq.processes[0].scaling = undefined; }],
    ['generated layout, scaling on the first process moves the scheduler', (c: any) => { c.sidekiq.processes[0].scaling = { maxReplicas: 3 }; c.sidekiq.processes[1].scaling = undefined; }],
    ['hand-written layout', (c: any) => {
      c.sidekiq.processes = [
        { name: 'main', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp'], scaling: { maxReplicas: 3 } },
        { name: 'sched', queues: ['scheduler', 'mailers'] },
      ];
    }],
  ];
  test.each(layouts)('%s', (_name, change) => {
    const objs = render(withScaling(change));
    const targets = scaled(objs).map((o) => find(objs, 'Deployment', o.spec.scaleTargetRef.name));
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(queuesOf(t)).not.toContain('scheduler');
    const scheduler = objs.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('ocw-sidekiq-') && queuesOf(o).includes('scheduler'));
    expect(scheduler).toHaveLength(1);
    expect(scheduler[0].spec.replicas).toBe(1);
    expect(scheduler[0].metadata.annotations?.[MAX_REPLICAS_ANNOTATION]).toBeUndefined();
  });
  test('scaling on the scheduler group is refused, with KEDA or the catchUp switch', () => {
    for (const keda of [true, false]) {
      const r = resolveConfig(withScaling((c) => {
        if (!keda) { delete c.sidekiq.keda; c.sidekiq.catchUp = true; }
        c.sidekiq.processes = [
          { name: 'main', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp'] },
          { name: 'sched', queues: ['scheduler'], scaling: { maxReplicas: 2 } },
        ];
      }));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.map((e) => e.path)).toContain('sidekiq.processes[1].scaling');
    }
  });
  test('and the rule holds even if a resolved scheduler process carried scaling', () => {
    const c = resolved();
    const p = { ...c.sidekiq.processes[0], scaling: { maxReplicas: 3, backlogPerReplica: 1, cooldownSeconds: 60, scaleDownStabilizationSeconds: 0 } };
    expect(p.servesScheduler).toBe(true);
    expect(sidekiqReplicas(p, c.sidekiq)).toEqual({ replicas: 1, maxReplicas: 1, minReplicas: 1, keda: false });
  });
});

describe('the catchUp switch (without KEDA)', () => {
  const manual = (catchUp: boolean) => withScaling((c) => { delete c.sidekiq.keda; c.sidekiq.catchUp = catchUp; });
  test('raises every scalable group to its maximum and nothing else', () => {
    const on = render(manual(true));
    const off = render(manual(false));
    expect(scaled(on)).toEqual([]);
    for (const name of ['ocw-sidekiq-push', 'ocw-sidekiq-pull']) {
      expect(find(off, 'Deployment', name).spec.replicas).toBe(1);
      expect(find(on, 'Deployment', name).spec.replicas).toBe(4);
    }
    expect(find(on, 'Deployment', 'ocw-sidekiq-default').spec.replicas).toBe(1);
    const others = (objs: any[]) => objs.filter((o) => !(o.kind === 'Deployment' && ['ocw-sidekiq-push', 'ocw-sidekiq-pull'].includes(o.metadata.name)));
    expect(others(on)).toEqual(others(off));
  });
  test('is easy to revert: switching it off gives the manifests from before, byte for byte', () => {
    expect(JSON.stringify(render(manual(false)))).toEqual(JSON.stringify(render(withChange(manual(true), (c) => { c.sidekiq.catchUp = false; }))));
  });
  test('the connection budget is the same on and off: it always counts the maximum', () => {
    expect(resolved(manual(true)).postgres!.budget).toEqual(resolved(manual(false)).postgres!.budget);
  });
});

describe('the connection budget counts every scalable group at its maximum', () => {
  const budget = (max: number) => resolved(withScaling((c) => { c.sidekiq.processes[1].scaling.maxReplicas = max; })).postgres!.budget;
  test('raising maxReplicas by 2 adds 2 × concurrency client connections', () => {
    const a = budget(4);
    const b = budget(6);
    expect(b.clientTotal - a.clientTotal).toBe(2 * 10);
    expect(a.clients.find((l) => l.who === 'sidekiq push')).toEqual({ who: 'sidekiq push', how: '(at most 4 replicas + 1 surge) × concurrency 10', connections: 50 });
  });
  test('an explicit max_client_conn that only fits the resting replicas is refused', () => {
    const raw = withScaling((c) => { c.database.pooler.maxClientConn = 140; });
    const r = resolveConfig(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.find((e) => e.path === 'database.pooler.maxClientConn')!.message).toMatch(/needs 180 client connections.*sidekiq push 50, sidekiq pull 50/);
    expect(connectionBudget({ web: { replicas: 2, processes: 2, threads: 5 }, streaming: { replicas: 2, dbPool: 10 }, sidekiq: [{ name: 'a', replicas: 1, maxReplicas: 3, concurrency: 10, servesScheduler: false }] }, resolved().database as any).clients[1].connections).toBe(40);
  });
});

describe('the catch-up plan', () => {
  // Hand-made: two cloud nodes of 4Gi, web (frontend) and a scalable worker.
  const nodes = nodesFromInventory([
    { name: 'a', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '4Gi' },
    { name: 'b', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '4Gi' },
  ], 'pool', { cpu: '0', memory: '0' });
  const classes = [
    { kind: 'PriorityClass', metadata: { name: 'frontend' }, value: 100000 },
    { kind: 'PriorityClass', metadata: { name: 'workers' }, value: 10000, preemptionPolicy: 'Never' },
  ];
  const deployment = (name: string, component: string, memory: string, spec: any, annotations: Record<string, string> = {}) => ({
    kind: 'Deployment', metadata: { name, annotations },
    spec: { ...spec, strategy: { type: 'RollingUpdate' }, template: { metadata: { labels: { app: name, 'app.kubernetes.io/component': component } }, spec: { priorityClassName: component === 'web' ? 'frontend' : 'workers', containers: [{ resources: { requests: { cpu: '100m', memory } } }] } } },
  });
  const web = deployment('web', 'web', '1Gi', { replicas: 2 });
  const worker = (max: number) => deployment('worker', 'sidekiq', '1Gi', {}, { [MAX_REPLICAS_ANNOTATION]: String(max) });
  const scaledObject = (min: number, max: number) => ({ kind: 'ScaledObject', metadata: { name: 'worker' }, spec: { scaleTargetRef: { name: 'worker' }, minReplicaCount: min, maxReplicaCount: max } });

  test('a Deployment without spec.replicas runs its ScaledObject minReplicaCount at rest', () => {
    const pods = podsFromObjects([...classes, worker(4), scaledObject(2, 4)]);
    expect(pods.filter((p) => p.owner === 'Deployment/worker')).toHaveLength(2);
  });
  test('reports how many catch-up pods fit, and changes with maxReplicas', () => {
    const fits = (max: number) => {
      const objs = [...classes, web, worker(max), scaledObject(1, max)];
      const r = plan(objs, nodes);
      return { ok: r.ok, whole: r.catchUp!.whole.placed, total: r.catchUp!.whole.total, losses: r.catchUp!.losses.map((l) => l.placed), problems: r.catchUp!.problems };
    };
    // 8Gi in all, web takes 2Gi: 6 workers fit; losing a node, web takes 1Gi of the other 4Gi.
    expect(fits(2)).toEqual({ ok: true, whole: 2, total: 2, losses: [2, 2], problems: [] });
    const four = fits(4);
    expect([four.whole, four.total]).toEqual([4, 4]);
    expect(four.ok).toBe(true);
    const six = fits(6);
    expect([six.whole, six.total]).toEqual([6, 6]);
    // At 6, losing a node leaves web nowhere to go but onto a catch-up pod's place: refused.
    expect(six.ok).toBe(false);
    expect(six.problems.join('\n')).toMatch(/losing [ab]: Deployment\/web#\d finds no room unless catch-up pods are evicted: .*lower maxReplicas/);
  });
  test('a frontend rollout needs its surge room while every group is at its maximum', () => {
    const oneNode = nodes.slice(0, 1);
    const objs = [...classes, deployment('web', 'web', '1Gi', { replicas: 1 }), worker(3), scaledObject(1, 3)];
    const r = catchUpPlan(objs, oneNode, placePods(podsFromObjects(objs), oneNode), podsFromObjects(objs))!;
    expect(r.whole.placed).toBe(3);
    expect(r.rollouts).toEqual([{ owner: 'Deployment/web', ok: false, reason: expect.stringMatching(/no .*node has 1Gi free.*the rollout stalls/) }]);
    expect(r.ok).toBe(false);
  });
  test("the example's maxima fit on the whole cluster and with each node lost; 12 each is refused at synth", () => {
    const r = planConfig(resolved());
    expect(r.ok).toBe(true);
    expect(r.catchUp!.groups.map((g) => [g.owner, g.replicas, g.maxReplicas])).toEqual([['Deployment/ocw-sidekiq-push', 1, 4], ['Deployment/ocw-sidekiq-pull', 1, 4]]);
    expect([r.catchUp!.whole.placed, ...r.catchUp!.losses.map((l) => l.placed)]).toEqual([8, 8, 8, 8, 8]);
    const big = resolved(withScaling((c) => { c.sidekiq.processes[1].scaling.maxReplicas = 12; c.sidekiq.processes[2].scaling.maxReplicas = 12; c.database.pooler.defaultPoolSize = 40; }));
    const errors = catchUpErrors(big);
    expect(errors.map((e) => e.path)).toEqual(['sidekiq.processes[2].scaling.maxReplicas']);
    expect(errors[0].message).toMatch(/losing cloud-1: Deployment\/ocw-web#\d finds no room unless catch-up pods are evicted/);
    expect(catchUpErrors(resolved())).toEqual([]);
  });
  test('catch-up pods run at the workers priority and never preempt', () => {
    const spec = podSpecOf(find(objects, 'Deployment', 'ocw-sidekiq-push'));
    expect(spec.priorityClassName).toBe('ocw-workers');
    expect(find(objects, 'PriorityClass', 'ocw-workers').preemptionPolicy).toBe('Never');
  });
});

describe('scheduled restarts', () => {
  const raw = withScaling((c) => { c.restarts = { web: '0 4 * * *', streaming: '10 4 * * *', sidekiq: { push: '20 4 * * *' } }; });
  const objs = render(raw);
  // ScheduledRestarts alone (off by default, the CronJob, Role and ServiceAccount per target, suspended while stopped):
  // test/constructs/scheduled-restart.test.ts.
  test('the restart pods pass the pod policy (non-root, read-only, own ServiceAccount, requests and limit)', () => {
    expect(podPolicyOffences(objs)).toEqual([]);
    const spec = podSpecOf(find(objs, 'CronJob', 'ocw-restart-web'));
    expect(spec.priorityClassName).toBe('ocw-workers');
    expect(spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });
  test('the planner checks the surge pod and the kubectl pod fit when the restart runs', () => {
    const r = planConfig(resolved(raw));
    expect(r.restarts.map((x) => [x.owner, x.ok])).toEqual([['CronJob/ocw-restart-web', true], ['CronJob/ocw-restart-streaming', true], ['CronJob/ocw-restart-sidekiq-push', true]]);
    // A restart rolls web one surge pod at a time: the room checked above.
    expect(find(objs, 'Deployment', 'ocw-web').spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });
  test('every CronJob reads its schedule in UTC, the zone CloudNativePG reads ScheduledBackups in, named so that no zone database is needed', () => {
    const cronJobs = objs.filter((o) => o.kind === 'CronJob');
    expect(cronJobs.length).toBeGreaterThan(3);
    // The API server (pkg/apis/batch/validation validateTimeZone) and the CronJob controller both
    // call Go's time.LoadLocation, which answers "UTC" without a zone database and any other name,
    // "Etc/UTC" included, only from one: k3s embeds none (k3s-io/k3s#8832: its image refused
    // "Etc/UTC" with "unknown time zone" until tzdata was added), so a node OS without tzdata
    // would have every CronJob refused.
    for (const cj of cronJobs) expect([cj.metadata.name, cj.spec.timeZone]).toEqual([cj.metadata.name, 'UTC']);
  });
  test('a restart at 04:00 meets the weekly volume snapshot (Sundays 04:00 UTC) and is named; the example in docs/catch-up.md does not', () => {
    expect(find(objs, 'ScheduledBackup', 'ocw-db-snapshot').spec.schedule).toBe('0 0 4 * * 0');
    const at4 = planConfig(resolved(raw)).restarts.find((x) => x.owner === 'CronJob/ocw-restart-web')!;
    expect(at4).toEqual({ owner: 'CronJob/ocw-restart-web', ok: true, reason: expect.stringMatching(/ScheduledBackup\/ocw-db-snapshot may be running Sun 04:00–04:59 \(UTC\)/) });
    const block = /```yaml\n(restarts:[\s\S]*?)```/.exec(readFileSync(join(__dirname, '..', 'docs', 'catch-up.md'), 'utf8'))![1];
    const readme = withScaling((c) => { c.restarts = parse(block).restarts; });
    const r = planConfig(resolved(readme));
    expect(r.restarts.length).toBe(4);
    expect(r.restarts.filter((x) => !x.ok || x.reason)).toEqual([]);
  });
  describe('on a hand-made node', () => {
    const node = nodesFromInventory([{ name: 'a', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '4Gi' }], 'pool', { cpu: '0', memory: '0' });
    const web = (memory: string) => ({
      kind: 'Deployment', metadata: { name: 'web' },
      spec: { replicas: 2, strategy: { type: 'RollingUpdate' }, template: { metadata: { labels: { app: 'web', 'app.kubernetes.io/component': 'web' } }, spec: { containers: [{ resources: { requests: { cpu: '100m', memory } } }] } } },
    });
    const cron = (name: string, schedule: string, memory: string, annotations: Record<string, string> = {}) => ({
      kind: 'CronJob', metadata: { name, annotations },
      spec: { schedule, jobTemplate: { spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [{ resources: { requests: { cpu: '10m', memory } } }] } } } } },
    });
    const restart = cron('restart-web', '0 4 * * *', '32Mi', { [RESTARTS_ANNOTATION]: 'Deployment/web' });
    test('a surge pod with no room makes the restart wait', () => {
      expect(plan([web('1Gi'), restart], node).restarts).toEqual([{ owner: 'CronJob/restart-web', ok: true }]);
      // 2 × 1.5Gi leave 1Gi: the 1.5Gi surge pod does not fit.
      const r = plan([web('1536Mi'), restart], node);
      expect(r.restarts).toEqual([{ owner: 'CronJob/restart-web', ok: false, reason: expect.stringMatching(/^Deployment\/web#surge finds no room: no .*node has 1.5Gi free/) }]);
      expect(r.ok).toBe(false);
    });
    test('a CronJob starting the same minute is counted with it; another minute is not', () => {
      const job = (schedule: string) => cron('cleanup', schedule, '1Gi');
      expect(plan([web('1Gi'), restart, job('0 3 * * *')], node).restarts[0].ok).toBe(true);
      expect(plan([web('1Gi'), restart, job('0 4 * * 1')], node).restarts[0]).toEqual({
        owner: 'CronJob/restart-web', ok: false, reason: expect.stringMatching(/with CronJob\/cleanup, which may be running Mon 04:00/),
      });
    });
    // A CronJob counts while it may still run: from its schedule for startingDeadlineSeconds (a
    // late start) plus activeDeadlineSeconds, or plus one hour when it sets none.
    const at = (schedule: string) => cron('restart-web', schedule, '32Mi', { [RESTARTS_ANNOTATION]: 'Deployment/web' });
    const longJob = (schedule: string, spec: Record<string, number> = {}) => {
      const j: any = cron('cleanup', schedule, '1Gi');
      Object.assign(j.spec, spec.startingDeadlineSeconds !== undefined ? { startingDeadlineSeconds: spec.startingDeadlineSeconds } : {});
      if (spec.activeDeadlineSeconds !== undefined) j.spec.jobTemplate.spec.activeDeadlineSeconds = spec.activeDeadlineSeconds;
      return j;
    };
    test('a job started 03:15 is still counted for a restart at 03:30 (it may run 40 minutes)', () => {
      const r = plan([web('1Gi'), at('30 3 * * *'), longJob('15 3 * * *')], node).restarts[0];
      expect(r).toEqual({ owner: 'CronJob/restart-web', ok: false, reason: expect.stringMatching(/with CronJob\/cleanup, which may be running Sun 03:30/) });
    });
    test('*/30 * * * * runs at 04:00 too', () => {
      expect(plan([web('1Gi'), at('0 4 * * *'), longJob('*/30 * * * *')], node).restarts[0].ok).toBe(false);
    });
    test('a Sunday job and a Monday-to-Saturday restart at the same minute never meet', () => {
      expect(plan([web('1Gi'), at('0 4 * * 1-6'), longJob('0 4 * * 0')], node).restarts[0]).toEqual({ owner: 'CronJob/restart-web', ok: true });
      expect(plan([web('1Gi'), at('0 4 * * *'), longJob('0 4 * * 0')], node).restarts[0].reason).toMatch(/which may be running Sun 04:00–/);
    });
    test('activeDeadlineSeconds and startingDeadlineSeconds set how long a job counts', () => {
      expect(plan([web('1Gi'), at('0 4 * * *'), longJob('0 2 * * *')], node).restarts[0].ok).toBe(true);
      expect(plan([web('1Gi'), at('0 4 * * *'), longJob('0 2 * * *', { activeDeadlineSeconds: 3 * 3600 })], node).restarts[0].ok).toBe(false);
      expect(plan([web('1Gi'), at('0 4 * * *'), longJob('0 2 * * *', { startingDeadlineSeconds: 3600, activeDeadlineSeconds: 3600 + 60 })], node).restarts[0].ok).toBe(false);
      expect(plan([web('1Gi'), at('0 4 * * *'), longJob('0 2 * * *', { activeDeadlineSeconds: 7200 })], node).restarts[0].ok).toBe(true);
    });
    test('a restart waits for a schedule in another time zone: it may run at any time', () => {
      const tz = longJob('0 12 * * *');
      tz.spec.timeZone = 'America/New_York';
      expect(plan([web('1Gi'), at('0 4 * * *'), tz], node).restarts[0].reason).toMatch(/CronJob\/cleanup.*time zone America\/New_York/);
    });
    test('a restart while a CloudNativePG backup may run is named (six fields, seconds first, in UTC)', () => {
      const backup = { kind: 'ScheduledBackup', metadata: { name: 'db-snapshot' }, spec: { schedule: '0 0 4 * * 0', method: 'volumeSnapshot' } };
      const utc = (schedule: string) => { const c: any = at(schedule); c.spec.timeZone = 'Etc/UTC'; return c; };
      const r = plan([web('1Gi'), utc('0 4 * * *'), backup], node).restarts[0];
      expect(r).toEqual({ owner: 'CronJob/restart-web', ok: true, reason: expect.stringMatching(/ScheduledBackup\/db-snapshot may be running Sun 04:00–04:59/) });
      expect(plan([web('1Gi'), utc('0 4 * * 1-6'), backup], node).restarts[0]).toEqual({ owner: 'CronJob/restart-web', ok: true });
    });
    test('two restarts that may overlap count each other\'s surge and kubectl pods', () => {
      const other = { ...web('1Gi'), metadata: { name: 'web2' } };
      other.spec.template.metadata.labels = { app: 'web2', 'app.kubernetes.io/component': 'web2' };
      const restart2 = cron('restart-web2', '10 4 * * *', '32Mi', { [RESTARTS_ANNOTATION]: 'Deployment/web2' });
      // 4 × 768Mi run; each surge pod is 768Mi more: one fits in the 1Gi left, two do not.
      const r = plan([web('768Mi'), other, at('0 4 * * *'), restart2], node).restarts;
      expect(r[0]).toEqual({ owner: 'CronJob/restart-web', ok: false, reason: expect.stringMatching(/CronJob\/restart-web2/) });
    });
  });
});

describe('network: the KEDA operator reaches Redis and nothing else', () => {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
  const keda: End = { kind: 'pod', namespace: 'keda', labels: { app: 'keda-operator', name: 'keda-operator' } };
  const to = (kind: string, name: string): End => ({ kind: 'pod', namespace: 'mastodon', labels: podMetaOf(find(objects, kind, name)).labels });
  test('Redis on 6379 only', () => {
    expect(canReach(policies, { from: keda, to: to('StatefulSet', 'ocw-redis'), port: 6379, protocol: 'TCP' })).toBe(true);
    expect(canReach(policies, { from: keda, to: to('StatefulSet', 'ocw-redis'), port: 6380, protocol: 'TCP' })).toBe(false);
  });
  test.each([['Deployment', 'ocw-web', 3000], ['Deployment', 'ocw-streaming', 4000], ['Deployment', 'ocw-sidekiq-push', 6379], ['Deployment', 'ocw-tunnel', 2000]])('not %s/%s:%i', (kind, name, port) => {
    expect(canReach(policies, { from: keda, to: to(kind, name), port, protocol: 'TCP' })).toBe(false);
  });
  test('not the pooler or Postgres', () => {
    const pooler: End = { kind: 'pod', namespace: 'mastodon', labels: { 'cnpg.io/poolerName': 'ocw-db-pooler' } };
    const db: End = { kind: 'pod', namespace: 'mastodon', labels: { 'cnpg.io/cluster': 'ocw-db', 'cnpg.io/podRole': 'instance' } };
    expect(canReach(policies, { from: keda, to: pooler, port: 5432, protocol: 'TCP' })).toBe(false);
    expect(canReach(policies, { from: keda, to: db, port: 5432, protocol: 'TCP' })).toBe(false);
  });
  test('other pods in the KEDA namespace, and KEDA-labelled pods elsewhere, do not reach Redis', () => {
    const redis = to('StatefulSet', 'ocw-redis');
    expect(canReach(policies, { from: { kind: 'pod', namespace: 'keda', labels: { app: 'keda-operator-metrics-apiserver' } }, to: redis, port: 6379, protocol: 'TCP' })).toBe(false);
    expect(canReach(policies, { from: { kind: 'pod', namespace: 'default', labels: { app: 'keda-operator' } }, to: redis, port: 6379, protocol: 'TCP' })).toBe(false);
  });
  test('the operator namespace is configurable; without KEDA nobody outside reaches Redis', () => {
    const moved = render(withScaling((c) => { c.sidekiq.keda.operatorNamespace = 'autoscaling'; })).filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
    const redis = to('StatefulSet', 'ocw-redis');
    expect(canReach(moved, { from: { ...keda, namespace: 'autoscaling' }, to: redis, port: 6379, protocol: 'TCP' })).toBe(true);
    expect(canReach(moved, { from: keda, to: redis, port: 6379, protocol: 'TCP' })).toBe(false);
    const none = render(withScaling((c) => { delete c.sidekiq.keda; })).filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
    expect(canReach(none, { from: keda, to: redis, port: 6379, protocol: 'TCP' })).toBe(false);
  });
  test('the restart jobs reach the Kubernetes API and nothing else', () => {
    const objs = render(withScaling((c) => { c.restarts = { web: '0 4 * * *' }; }));
    const ps = objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicyObject[];
    const job: End = { kind: 'pod', namespace: 'mastodon', labels: podMetaOf(find(objs, 'CronJob', 'ocw-restart-web')).labels };
    expect(canReach(ps, { from: job, to: { kind: 'ip', ip: '10.0.0.5' }, port: 6443, protocol: 'TCP' })).toBe(true);
    expect(canReach(ps, { from: job, to: { kind: 'ip', ip: '93.184.216.34' }, port: 80, protocol: 'TCP' })).toBe(false);
    expect(canReach(ps, { from: job, to: { kind: 'pod', namespace: 'mastodon', labels: podMetaOf(find(objs, 'StatefulSet', 'ocw-redis')).labels }, port: 6379, protocol: 'TCP' })).toBe(false);
  });
});

describe.each(K8S_VERSIONS.map((v) => [v, new K8sValidator(v)] as const))('strict validation (%s)', (_v, validator) => {
  test('every ScaledObject, TriggerAuthentication, Role, RoleBinding, ServiceAccount and CronJob validates', () => {
    const objs = render(withScaling((c) => {
      c.redis.passwordSecret = { name: 'ocw-redis', key: 'password' };
      c.restarts = { web: '0 4 * * *', streaming: '10 4 * * *', sidekiq: { push: '20 4 * * *', default: '30 4 * * *' } };
    }));
    const kinds = new Set(objs.map((o) => o.kind));
    for (const k of ['ScaledObject', 'TriggerAuthentication', 'Role', 'RoleBinding', 'ServiceAccount', 'CronJob']) expect(kinds).toContain(k);
    expect(validator.validateAll(objs)).toEqual([]);
  });
  test('a misspelt ScaledObject field fails', () => {
    const so = withChange(find(objects, 'ScaledObject', 'ocw-sidekiq-push'), (o) => { o.spec.maxReplicaCounts = 3; });
    expect(validator.validate(so).join('\n')).toMatch(/maxReplicaCounts/);
    const trigger = withChange(find(objects, 'ScaledObject', 'ocw-sidekiq-push'), (o) => { o.spec.triggers[0].metadata.listLength = 500; });
    expect(validator.validate(trigger).join('\n')).toMatch(/listLength|string/);
  });
});
