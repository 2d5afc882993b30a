/**
 * The snapshot retention CronJob's rendered script, run by `sh` against Backups shaped the way
 * CloudNativePG's ScheduledBackup controller creates them (cloudnative-pg/cloudnative-pg
 * internal/controller/scheduledbackup_controller.go: labels cnpg.io/cluster,
 * cnpg.io/immediateBackup and cnpg.io/scheduled-backup on every Backup, the owner set by
 * backupOwnerReference). `kubectl` is a stand-in that answers exactly the calls the script makes
 * (a label selector, a sort, a JSONPath filter on status.phase, a delete) and refuses anything
 * else, so a changed script fails here instead of guessing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { resolveConfig } from '../../lib';
import { exampleRaw } from '../support/fixtures';
import { podSpecOf } from './support/rendered';
import { run, scratchDir } from './support/servers';
import { renderManifests } from '../../lib/app/render';

const r = resolveConfig(exampleRaw());
if (!r.ok) throw new Error('the example config does not resolve');
const objects = renderManifests(r.config);
const cluster = objects.find((o) => o.kind === 'Cluster')!.metadata.name;
const scheduled = objects.filter((o) => o.kind === 'ScheduledBackup');
const snapshotSchedule = scheduled.find((s) => s.spec.method === 'volumeSnapshot')!;
const baseSchedule = scheduled.find((s) => s.spec.method === 'plugin')!;
const cronJob = objects.find((o) => o.kind === 'CronJob' && /snapshot-retention/.test(o.metadata.name))!;
const keep = exampleRaw().database.backup.volumeSnapshot.keep as number;

/** A Backup as the ScheduledBackup controller makes it (the owner from backupOwnerReference). */
function backup(parent: any, name: string, day: number, phase: string): any {
  const owner = parent.spec.backupOwnerReference === 'cluster' ? { kind: 'Cluster', name: cluster }
    : parent.spec.backupOwnerReference === 'self' ? { kind: 'ScheduledBackup', name: parent.metadata.name } : undefined;
  return {
    metadata: {
      name, creationTimestamp: `2026-11-${String(day).padStart(2, '0')}T04:00:00Z`,
      labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/immediateBackup': 'false', 'cnpg.io/scheduled-backup': parent.metadata.name },
      ...(owner ? { ownerReferences: [{ apiVersion: 'postgresql.cnpg.io/v1', ...owner }] } : {}),
    },
    status: { phase },
  };
}

const FAKE_KUBECTL = `#!/usr/bin/env node
const fs = require('fs');
const args = process.argv.slice(2);
const store = process.env.FAKE_BACKUPS;
const items = JSON.parse(fs.readFileSync(store, 'utf8'));
const fail = (m) => { process.stderr.write('fake kubectl: ' + m + '\\n'); process.exit(2); };
if (args[0] === 'get' && args[1] === 'backups.postgresql.cnpg.io') {
  const rest = args.slice(2);
  const sel = rest.indexOf('-l') >= 0 ? rest[rest.indexOf('-l') + 1] : fail('no selector');
  const [k, v] = sel.split('=');
  if (!rest.includes('--sort-by=.metadata.creationTimestamp')) fail('unexpected sort ' + rest.join(' '));
  const out = rest.find((a) => a.startsWith('-o') || a.startsWith('jsonpath')) === '-o' ? rest[rest.indexOf('-o') + 1] : fail('no -o');
  if (out !== 'jsonpath={range .items[?(@.status.phase=="completed")]}{.metadata.name}{"\\\\n"}{end}') fail('unexpected output ' + out);
  const sel2 = items.filter((b) => b.metadata.labels[k] === v).sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
  process.stdout.write(sel2.filter((b) => b.status.phase === 'completed').map((b) => b.metadata.name + '\\n').join(''));
} else if (args[0] === 'delete' && args[1] === 'backups.postgresql.cnpg.io') {
  const names = args.slice(2);
  for (const n of names) if (!items.some((b) => b.metadata.name === n)) fail('no backup ' + n);
  fs.writeFileSync(store, JSON.stringify(items.filter((b) => !names.includes(b.metadata.name))));
  for (const n of names) process.stdout.write('backup.postgresql.cnpg.io "' + n + '" deleted\\n');
} else fail('unexpected call: ' + args.join(' '));
`;

test(`keeps the ${keep} newest completed snapshot Backups and touches nothing else`, () => {
  const dir = scratchDir('retention');
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'kubectl'), FAKE_KUBECTL, { mode: 0o755 });
    const snaps = [1, 8, 15, 22, 29].map((d) => backup(snapshotSchedule, `${cluster}-snap-${d}`, d, 'completed'));
    const items = [
      ...snaps,
      backup(snapshotSchedule, `${cluster}-snap-30`, 30, 'completed'),
      backup(snapshotSchedule, `${cluster}-snap-failed`, 28, 'failed'),
      ...[1, 2, 3, 4, 5, 6, 7].map((d) => backup(baseSchedule, `${cluster}-base-${d}`, d, 'completed')),
      { metadata: { name: 'manual-before-upgrade', creationTimestamp: '2026-10-01T00:00:00Z', labels: { 'cnpg.io/cluster': cluster } }, status: { phase: 'completed' } },
    ];
    // Snapshot Backups have no owner (deleting the Cluster keeps them); base backup ones are the Cluster's.
    for (const b of snaps) expect(b.metadata.ownerReferences).toBeUndefined();
    for (const b of items.filter((x) => x.metadata.labels['cnpg.io/scheduled-backup'] === baseSchedule.metadata.name)) {
      expect(b.metadata.ownerReferences).toEqual([{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: cluster }]);
    }
    const store = path.join(dir, 'backups.json');
    fs.writeFileSync(store, JSON.stringify(items));
    const ctr = podSpecOf(cronJob).containers[0];
    const argv: string[] = [...(ctr.command ?? []), ...(ctr.args ?? [])];
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    const script = argv[2].replaceAll('/tmp/', `${dir}/`);
    const res = run('sh', ['-c', script], { env: { PATH: `${dir}/bin:${process.env.PATH}`, FAKE_BACKUPS: store } });
    expect([res.status, res.stderr]).toEqual([0, '']);
    expect(res.stdout).toContain(`6 completed snapshot backups, keeping ${keep}`);
    const left = (JSON.parse(fs.readFileSync(store, 'utf8')) as any[]).map((b) => b.metadata.name);
    // The two oldest completed snapshots go; the failed one, base backups and manual ones stay.
    expect(items.map((b) => b.metadata.name).filter((n) => !left.includes(n))).toEqual([`${cluster}-snap-1`, `${cluster}-snap-8`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
