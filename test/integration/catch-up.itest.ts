/**
 * The KEDA redis trigger reads the list Sidekiq really writes: a real Redis (Debian's
 * redis-server, with a password), jobs pushed onto `pull` by Sidekiq's own client (Debian's
 * ruby-sidekiq: `Sidekiq::Client.push` does `LPUSH queue:<name>` with the JSON payload), then
 * the list name, database and password are taken from the rendered ScaledObject and
 * TriggerAuthentication, and the length is read the way KEDA's redis scaler reads it (TYPE,
 * then LLEN inside EVAL).
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { freePort, run, runOk, scratchDir, Server, startServer } from './support/servers';
import { exampleRaw, find, podSpecOf, render, withChange } from '../support/fixtures';

const PULL_JOBS = 1234;
const PUSH_JOBS = 7;
const password = randomBytes(16).toString('hex');
const objects = render(withChange(exampleRaw(), (c) => { c.redis.passwordSecret = { name: 'ocw-redis', key: 'password' }; }));
// The Secret the TriggerAuthentication names holds this test's password.
const secrets: Record<string, Record<string, string>> = { 'ocw-redis': { password } };

let redis: Server;
let dir: string;

/** Sidekiq's client, as Mastodon's workers enqueue: `Sidekiq::Client.push` with class, queue and args. */
function sidekiqPush(port: number, queue: string, count: number): void {
  const script = [
    "require 'sidekiq'",
    "require 'sidekiq/api'",
    'Sidekiq.configure_client { |c| c.redis = { url: ENV.fetch("SIDEKIQ_TEST_URL") } }',
    `${count}.times { |i| Sidekiq::Client.push('class' => 'ActivityPub::ProcessingWorker', 'queue' => '${queue}', 'args' => [i, 'https://remote.example/inbox']) }`,
    `puts Sidekiq::Queue.new('${queue}').size`,
  ].join('\n');
  const file = path.join(dir, `push-${queue}.rb`);
  fs.writeFileSync(file, script);
  const out = runOk('ruby', [file], { env: { SIDEKIQ_TEST_URL: `redis://:${password}@127.0.0.1:${port}/0` }, timeoutMs: 120_000 });
  expect(Number(out.trim())).toBe(count);
}

beforeAll(async () => {
  dir = scratchDir('catch-up');
  const port = await freePort();
  redis = await startServer('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password], { port });
  sidekiqPush(port, 'pull', PULL_JOBS);
  sidekiqPush(port, 'push', PUSH_JOBS);
}, 180_000);
afterAll(async () => {
  await redis?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** What KEDA's scaler reads for one trigger, resolved from the rendered objects. */
function readTrigger(trigger: any): { type: string; length: number } {
  // The password comes through the TriggerAuthentication the trigger names.
  const auth = find(objects, 'TriggerAuthentication', trigger.authenticationRef.name);
  const ref = auth.spec.secretTargetRef.find((r: any) => r.parameter === 'password');
  const pass = secrets[ref.name][ref.key];
  // The address names the in-cluster Service; here the same Redis listens on loopback.
  expect(trigger.metadata.address).toBe('ocw-redis.mastodon.svc:6379');
  const cli = (...args: string[]) => runOk('redis-cli', ['--no-auth-warning', '-h', '127.0.0.1', '-p', String(redis.port), '-a', pass, '-n', trigger.metadata.databaseIndex, ...args]).trim();
  const type = cli('TYPE', trigger.metadata.listName);
  const length = Number(cli('EVAL', "return redis.call('llen', KEYS[1])", '1', trigger.metadata.listName));
  return { type, length };
}

test('the pull group\'s ScaledObject reads queue:pull, where Sidekiq put the jobs', () => {
  const so = find(objects, 'ScaledObject', 'ocw-sidekiq-pull');
  const trigger = so.spec.triggers.find((t: any) => t.name === 'queue-pull');
  expect(readTrigger(trigger)).toEqual({ type: 'list', length: PULL_JOBS });
  // Every trigger of the group reads the queue its name says; only pull and push hold jobs.
  const counts = Object.fromEntries(so.spec.triggers.map((t: any) => [t.metadata.listName, readTrigger(t).length]));
  expect(counts).toEqual({ 'queue:pull': PULL_JOBS, 'queue:default': 0, 'queue:push': PUSH_JOBS, 'queue:ingress': 0, 'queue:mailers': 0, 'queue:fasp': 0 });
  // The triggers are exactly the queues the Deployment's Sidekiq serves (its -q arguments).
  const c = podSpecOf(find(objects, 'Deployment', 'ocw-sidekiq-pull')).containers[0];
  const words = [...(c.command ?? []), ...(c.args ?? [])].join(' ').split(/\s+/);
  const served = words.flatMap((x, i) => (words[i - 1] === '-q' ? [`queue:${x}`] : []));
  expect(Object.keys(counts)).toEqual(served);
});

test('a job on the list is Sidekiq\'s JSON payload for that queue', () => {
  const raw = runOk('redis-cli', ['--no-auth-warning', '-p', String(redis.port), '-a', password, 'LINDEX', 'queue:pull', '0']);
  const job = JSON.parse(raw);
  expect(job).toMatchObject({ class: 'ActivityPub::ProcessingWorker', queue: 'pull', args: [PULL_JOBS - 1, 'https://remote.example/inbox'] });
  expect(typeof job.jid).toBe('string');
});

test('the HPA would ask for ceil(length / listLength) pods, within the bounds', () => {
  const so = find(objects, 'ScaledObject', 'ocw-sidekiq-pull');
  const wanted = Math.max(...so.spec.triggers.map((t: any) => Math.ceil(readTrigger(t).length / Number(t.metadata.listLength))));
  expect(wanted).toBe(Math.ceil(PULL_JOBS / 500));
  expect(Math.min(so.spec.maxReplicaCount, Math.max(so.spec.minReplicaCount, wanted))).toBe(3);
});

test('without the password the trigger reads nothing (the TriggerAuthentication is needed)', () => {
  const r = run('redis-cli', ['-p', String(redis.port), 'LLEN', 'queue:pull']);
  expect(`${r.stdout}${r.stderr}`).toMatch(/NOAUTH/);
});
