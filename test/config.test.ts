import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfigFile, loadConfigText, MastodonConfigSchema } from '../lib';
import { renderSchema, SCHEMA_FILE } from '../scripts/write-schema';
import { EXAMPLE_FILE, errorsOf, exampleRaw, messageAt, render, resolved, withChange } from './support/fixtures';
import { didYouMean } from '../lib/config/errors';

describe('the bundled example', () => {
  test('loads with every default filled in', () => {
    const r = loadConfigFile(EXAMPLE_FILE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.config;
    expect(c.mastodon.version).toBe('v4.7.2');
    expect(c.images.mastodon).toEqual({ repository: 'ghcr.io/mastodon/mastodon', tag: 'v4.7.2', architectures: ['amd64', 'arm64'] });
    expect(c.images.streaming.repository).toBe('ghcr.io/mastodon/mastodon-streaming');
    expect(c.sidekiq.generatedLayout).toBe(true);
    // The scheduler's process starts with the light queues, then its lead.
    expect(c.sidekiq.processes.map((p) => p.queues.slice(0, 3))).toEqual([['scheduler', 'mailers', 'default'], ['push', 'ingress', 'default'], ['pull', 'default', 'push']]);
    expect(c.sidekiq.processes.filter((p) => p.servesScheduler).map((p) => p.name)).toEqual(['default']);
    expect(c.network.failoverSeconds).toBe(30);
  });

  test('describes three amd64 cloud VMs of 4-8 GiB and one arm64 Pi with 8 GiB', () => {
    const nodes = resolved().nodes.inventory;
    const cloud = nodes.filter((n) => n.pool === 'cloud');
    expect(cloud).toHaveLength(3);
    expect(cloud.every((n) => n.arch === 'amd64' && ['4Gi', '8Gi'].includes(n.memory))).toBe(true);
    expect(nodes.filter((n) => n.arch === 'arm64')).toMatchObject([{ name: 'pi-1', pool: 'onprem', arch: 'arm64', cpu: '4', memory: '8Gi' }]);
  });

  test('defaults: a minimal config is enough', () => {
    const c = resolved({
      name: 'tiny', domain: 'tiny.example', mastodon: { secretName: 'keys' },
      nodes: { inventory: [{ name: 'n1', pool: 'cloud', arch: 'arm64', cpu: '4', memory: '8Gi' }, { name: 'n2', pool: 'cloud', arch: 'amd64', cpu: '2', memory: '4Gi' }] },
      sidekiq: { processes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
      database: { mode: 'external', host: 'db', passwordSecret: { name: 'db', key: 'password' } },
      media: { s3: { bucket: 'media', endpoint: 'https://s3.example', credentialsSecret: { name: 's3' } } },
      smtp: { server: 'smtp.example', fromAddress: 'a@tiny.example' },
    });
    expect(c.namespace).toBe('mastodon');
    expect(c.web).toMatchObject({ replicas: 2, pool: 'cloud', processes: 2, threads: 5 });
    expect(c.redis.mode).toBe('internal');
    expect(c.media.s3?.credentialsSecret).toEqual({ name: 's3', accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' });
  });
});

describe('bad input: every problem, with path and fix', () => {
  test('several problems are listed at once', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.web.replicas = 0;
      c.streaming.replicas = 'two';
      c.sidekiq.processes[0].replcas = 1;
    }));
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(messageAt(errors, 'web.replicas')).toMatch(/at least 1 replica/);
    expect(messageAt(errors, 'streaming.replicas')).toMatch(/expected a number, got the string 'two'/);
    expect(messageAt(errors, 'sidekiq.processes[0].replcas')).toBe("unknown key 'replcas'; did you mean 'replicas'?");
  });

  // Issue 23 item 4: five mistakes in one file, schema and cross-field alike, come back in one run.
  test('five mistakes of both kinds come back together, each at its field path', () => {
    const text = fs.readFileSync(EXAMPLE_FILE, 'utf8')
      .replace(/^domain: .*$/m, 'domain: ocw_social')
      .replace(/^web:\n {2}replicas: /m, 'web:\n  replcas: ')
      .replace(/^(streaming:[\s\S]*?limits: \{ memory: )[^ ]+ \}/m, '$1 1.5 GB }')
      .replace(/^( {4}- name: push\n {6}pool: )onprem/m, '$1onprme')
      .replace(/^( {4}- name: (default|push|pull)\n)/gm, '$1      queues: [default, push, pull, ingress, mailers, scheduler]\n');
    const r = loadConfigText(text, 'server.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const at = (p: string) => r.errors.filter((e) => e.path === p).map((e) => e.message).join(' | ');
    expect(at('domain')).toMatch(/not a lower-case host name/);
    expect(at('web.replcas')).toMatch(/did you mean 'replicas'/);
    expect(at('streaming.resources.limits.memory')).toMatch(/memory quantity/);
    expect(at('sidekiq.processes[1].pool')).toMatch(/pool 'onprme' has no nodes/);
    expect(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n')).toMatch(/no process serves the 'fasp' queue/);
  });

  // Issue 23 review H1: an unknown key no longer hides the cross-field problems of its section.
  test('an unknown key in web hides neither its pool nor its memory floor', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.web.replcas = c.web.replicas;
      delete c.web.replicas;
      c.web.pool = 'clod';
      c.web.resources.requests.memory = '512Mi';
    }));
    expect(messageAt(errors, 'web.replcas')).toMatch(/did you mean 'replicas'/);
    expect(messageAt(errors, 'web.pool')).toMatch(/pool 'clod' has no nodes/);
    expect(messageAt(errors, 'web.resources.requests.memory')).toMatch(/below the 700Mi floor/);
  });

  test('a typo in one Sidekiq process and a wrong pool in another come back in one run', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.sidekiq.processes[0].replcas = 1;
      c.sidekiq.processes[1].pool = 'onprme';
    }));
    expect(messageAt(errors, 'sidekiq.processes[0].replcas')).toMatch(/did you mean 'replicas'/);
    expect(messageAt(errors, 'sidekiq.processes[1].pool')).toMatch(/pool 'onprme' has no nodes/);
  });

  test('a section still refused without its unknown keys stays out of the cross-field checks', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.web.replcas = 2;
      c.web.threads = 'five';
      c.web.pool = 'clod';
    }));
    expect(messageAt(errors, 'web.replcas')).toMatch(/did you mean 'replicas'/);
    expect(messageAt(errors, 'web.threads')).toMatch(/expected a number/);
    expect(errors.filter((e) => e.path === 'web.pool')).toEqual([]);
  });

  test('an unknown key beside a value only code can hold is reported, not thrown', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.web.replcas = 2; c.web.pool = () => 'cloud'; }));
    expect(messageAt(errors, 'web.replcas')).toMatch(/did you mean 'replicas'/);
    expect(messageAt(errors, 'web.pool')).toMatch(/expected/);
  });

  test('a check whose input is broken is skipped, not run on a guess', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.nodes.inventory[0].arch = 'sparc'; }));
    // The broken inventory is reported; no pool is called empty because of it.
    expect(errors.some((e) => e.path.startsWith('nodes.inventory[0]'))).toBe(true);
    expect(errors.filter((e) => /has no nodes/.test(e.message))).toEqual([]);
  });

  test('a typo at the top level gets a suggestion too', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.domian = c.domain; }));
    expect(messageAt(errors, 'domian')).toMatch(/did you mean 'domain'/);
  });

  test('a typo inside the Redis union follows the chosen mode', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.redis.storag = c.redis.storage; }));
    expect(messageAt(errors, 'redis.storag')).toMatch(/did you mean 'storage'/);
  });

  test('memory below the web floor', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.web.resources.requests.memory = '512Mi'; }));
    expect(messageAt(errors, 'web.resources.requests.memory')).toBe(
      '512Mi is below the 700Mi floor: Puma with Mastodon loaded needs it or it is OOM-killed under normal load; request at least 700Mi');
  });

  test('memory below the Sidekiq floor, and a limit below the request', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.sidekiq.processes[1].resources = { requests: { cpu: '100m', memory: '400Mi' }, limits: { memory: '300Mi' } };
    }));
    expect(messageAt(errors, 'sidekiq.processes[1].resources.requests.memory')).toMatch(/below the 512Mi floor.*request at least 512Mi/);
    expect(messageAt(errors, 'sidekiq.processes[1].resources.limits.memory')).toMatch(/below the request 400Mi/);
  });

  test('a malformed quantity', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.web.resources.requests.memory = '1 GB'; }));
    expect(messageAt(errors, 'web.resources.requests.memory')).toMatch(/memory quantity such as 512Mi/);
  });

  test('scheduler twice names the owner and the rule', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.sidekiq.processes = [
        { name: 'main', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'fasp', 'scheduler'] },
        { name: 'extra', queues: ['pull', 'scheduler'] },
      ];
    }));
    expect(messageAt(errors, 'sidekiq.processes[1].queues')).toBe(
      "'scheduler' is already served by process 'main'; the scheduler queue must run in exactly one process with replicas: 1");
  });

  test('queues on some processes but not others', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.sidekiq.processes[0].queues = ['default']; }));
    expect(messageAt(errors, 'sidekiq.processes[1].queues')).toMatch(/list queues on every process, or on none/);
  });

  test('the generated layout needs three processes', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.sidekiq.processes.pop(); }));
    expect(messageAt(errors, 'sidekiq.processes')).toMatch(/at least 3 processes/);
  });

  test('an unknown pool lists the pools there are', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.web.pool = 'clowd'; }));
    expect(messageAt(errors, 'web.pool')).toMatch(/pool 'clowd' has no nodes in nodes.inventory \(pools: cloud, onprem\)/);
  });

  test('an image override that no node in the pool can run', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.mastodon.image = { repository: 'registry.example/mastodon-fork', tag: 'v4.7.2-fork', architectures: ['amd64'] };
    }));
    expect(messageAt(errors, 'sidekiq.processes[0].pool')).toMatch(/no node in pool 'onprem' can run registry.example\/mastodon-fork:v4.7.2-fork: the pool has arm64 nodes, the image is built for amd64/);
  });

  test("'latest' is not a pinned tag", () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.mastodon.image = { repository: 'x/y', tag: 'latest', architectures: ['amd64'] }; }));
    expect(messageAt(errors, 'mastodon.image.tag')).toMatch(/not pinned/);
  });

  test('a secret value pasted where a Secret reference belongs', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.database = { mode: 'external', host: 'db', passwordSecret: 'hunter2-very-secret' }; }));
    expect(messageAt(errors, 'database.passwordSecret')).toMatch(/Secret reference \{name, key\}.*never paste the value/);
    const errors2 = errorsOf(withChange(exampleRaw(), (c) => { c.mastodon.secretName = 'Zm9vYmFyYmF6cXV4+/=='; }));
    expect(messageAt(errors2, 'mastodon.secretName')).toMatch(/if you pasted a secret value here, remove it/);
  });

  // Found with issue 23 review L2: init refused '9lives', the schema let it through, and
  // Kubernetes refuses the Service 9lives-web (a Service name is a DNS-1035 label).
  test('a name that starts with a digit', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.name = '9lives'; }));
    expect(messageAt(errors, 'name')).toMatch(/must start with a letter/);
    expect(resolved(withChange(exampleRaw(), (c) => { c.name = 'a9'; })).name).toBe('a9');
  });

  test('a refused name is reported, not thrown, with a CloudNativePG database', () => {
    for (const name of ['Bad_Name', '', 'a'.repeat(25)]) {
      const errors = errorsOf(withChange(exampleRaw(), (c) => { c.name = name; }));
      expect(errors.map((e) => e.path)).toContain('name');
    }
  });

  test('an empty domain and an invalid host name', () => {
    expect(messageAt(errorsOf(withChange(exampleRaw(), (c) => { c.domain = ''; })), 'domain')).toMatch(/must not be empty/);
    expect(messageAt(errorsOf(withChange(exampleRaw(), (c) => { c.domain = 'https://ocw.social/'; })), 'domain')).toMatch(/no scheme, no path/);
  });

  test('a ReadWriteOnce media volume on several nodes', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      delete c.media.s3;
      c.media.volume = { accessMode: 'ReadWriteOnce', size: '50Gi' };
    }));
    expect(messageAt(errors, 'media.volume.accessMode')).toMatch(/can run on 4 nodes \(cloud-1, cloud-2, cloud-3, pi-1\).*ReadWriteMany/);
  });

  test('a ReadWriteOnce media volume is fine when every mounting pod is confined to one node, and the chart renders it', () => {
    const raw = withChange(exampleRaw(), (c) => {
      delete c.media.s3;
      c.media.volume = { accessMode: 'ReadWriteOnce', size: '50Gi' };
      c.nodes.inventory = [{ name: 'solo', pool: 'cloud', arch: 'amd64', cpu: '8', memory: '32Gi' }];
      c.redis.pool = 'cloud';
      for (const p of c.sidekiq.processes) { p.pool = 'cloud'; delete p.fallbackPool; }
    });
    const c = resolved(raw);
    expect(c.media.volume?.accessMode).toBe('ReadWriteOnce');
    // The environment's own check at synth knows the nodes too, so it does not count pods.
    expect(render(raw).filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toContain('ocw-media');
  });

  test('both or neither of media.s3 and media.volume', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.media.volume = { accessMode: 'ReadWriteMany', size: '1Gi' }; }));
    expect(messageAt(errors, 'media')).toMatch(/exactly one of media.s3/);
  });

  test('an enum typo suggests the value', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.nodes.inventory[3].arch = 'arm46'; }));
    expect(messageAt(errors, 'nodes.inventory[3].arch')).toMatch(/use one of 'amd64', 'arm64' \(did you mean 'arm64'\?\)/);
  });

  test('a missing required section', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { delete c.database; }));
    expect(messageAt(errors, 'database')).toMatch(/is missing; add a 'database:' section with mode: external/);
  });

  test('a 5-field cron is required for CronJobs', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => { c.cleanup = { media: { schedule: 'daily', days: 7 } }; }));
    expect(messageAt(errors, 'cleanup.media.schedule')).toMatch(/5-field cron/);
  });

  test('did you mean stays quiet for unrelated words', () => {
    expect(didYouMean('replcas', ['replicas', 'pool'])).toBe('replicas');
    expect(didYouMean('elasticsearch', ['replicas', 'pool'])).toBeUndefined();
  });
});

describe('files', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-config-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('a YAML syntax error names the line', () => {
    const r = loadConfigText('name: ocw\ndomain: ocw.social\nweb:\n  replicas: [1,\n', 'bad.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0].message).toMatch(/^line 4: the \[ opened on line 4 is never closed/);
  });
  test('a duplicate key is an error with its line', () => {
    const r = loadConfigText('name: ocw\nname: other\n', 'dup.yaml');
    expect(!r.ok && r.errors[0].message).toMatch(/line 2/);
  });
  test('an empty file and a comment-only file', () => {
    for (const text of ['', '   \n', '# nothing here\n']) {
      const r = loadConfigText(text, 'empty.yaml');
      expect(!r.ok && r.errors[0].message).toMatch(/empty.yaml is empty; start from config\/example.yaml/);
    }
  });
  test('a list at the top level', () => {
    const r = loadConfigText('- a\n- b\n', 'list.yaml');
    expect(!r.ok && r.errors[0].message).toMatch(/must be a YAML mapping/);
  });
  test('a file that is not there', () => {
    const r = loadConfigFile(path.join(tmp, 'nope.yaml'));
    expect(!r.ok && r.errors[0].message).toMatch(/does not exist; set MASTODON_CONFIG to an existing file/);
    // Review L5: a server repository's default is config/server.yaml, not this package's example.
    expect(!r.ok && r.errors[0].message).not.toMatch(/example\.yaml/);
  });
  test('a real file round-trips', () => {
    const f = path.join(tmp, 'ok.yaml');
    fs.copyFileSync(EXAMPLE_FILE, f);
    expect(loadConfigFile(f).ok).toBe(true);
  });
});

describe('JSON Schema for editors', () => {
  test('config/schema.json is in sync with the zod schema (npm run schema)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderSchema());
  });
  test('it closes objects and documents fields', () => {
    const schema = JSON.parse(renderSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'domain', 'mastodon', 'nodes', 'sidekiq', 'database', 'media', 'smtp']));
    expect(schema.properties.web.properties.replicas.description).toMatch(/Puma pods/);
  });
  test('the schema object is the one the loader uses', () => {
    expect(MastodonConfigSchema.safeParse(exampleRaw()).success).toBe(true);
  });
});

// Formerly test/missing-section.test.ts (one file less for jest to load the library into).
/** A missing section names the fields it needs in plain English, not the type it is. */
describe('missing-section: a missing section names the fields it needs', () => {
  test('a missing smtp section lists its required fields', () => {
    const m = messageAt(errorsOf(withChange(exampleRaw(), (c) => { delete c.smtp; })), 'smtp');
    expect(m).not.toMatch(/a object|an object/);
    expect(m).toMatch(/^is missing; add an? 'smtp:' section with server \(.*\) and fromAddress \(.*\)/);
    // Fields with defaults are not listed as required.
    expect(m).not.toMatch(/\bport\b/);
  });

  test('a missing discriminated section names each mode and its required fields', () => {
    const m = messageAt(errorsOf(withChange(exampleRaw(), (c) => { delete c.database; })), 'database');
    expect(m).toMatch(/^is missing; add a 'database:' section with mode: external \(with host, passwordSecret.*\) or mode: cnpg/);
  });

  test('a missing nested section', () => {
    const m = messageAt(errorsOf(withChange(exampleRaw(), (c) => { delete c.nodes; })), 'nodes');
    expect(m).toMatch(/add a 'nodes:' section with inventory \(Every node the workloads may run on\.?\)/);
  });
});

test('webDomain equal to domain is refused with its own fix, not as repeated tunnel rules', () => {
  const errors = errorsOf(withChange(exampleRaw(), (c) => { c.webDomain = c.domain; }));
  expect(messageAt(errors, 'webDomain')).toMatch(/same as domain.*leave webDomain out/);
  expect(errors.filter((e) => e.path.startsWith('tunnel'))).toEqual([]);
});
