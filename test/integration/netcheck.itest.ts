/**
 * The netcheck client script, exactly as the client Jobs run it, against a real iperf3 server
 * on 127.0.0.1: its output goes through the parser and the diagnosis. The MTU probe runs in a
 * network namespace whose loopback has WARP's MTU (1280), with ping and, as in a pod with
 * drop: [ALL] and no_new_privs where ping cannot run, with the iperf3 --dont-fragment fallback.
 */
import { spawnSync } from 'child_process';
import { freePort, run, Server, startServer } from './support/servers';
import { isRoot } from './support/programs';
import { CLIENT_SCRIPT, clientEnv, probeSizes } from '../../lib/netcheck/script';
import { diagnose } from '../../lib/netcheck/diagnose';
import { parseResults } from '../../lib/netcheck/parse';
import { serverCommand, SERVER_BIND_ENV } from '../../lib/netcheck/manifests';

/** The server Jobs' own command, with $(NETCHECK_BIND) expanded as the kubelet does, bound to 127.0.0.1. */
const serverArgs = (p: number) => serverCommand(p).slice(1).map((a) => a.replace(`$(${SERVER_BIND_ENV})`, '127.0.0.1'));

let port: number;
let server: Server;
beforeAll(async () => {
  port = await freePort();
  server = await startServer('iperf3', serverArgs(port), { port });
});
afterAll(async () => { await server?.stop(); });

const env = (p: number, extra: Partial<Parameters<typeof clientEnv>[0]> = {}) => clientEnv({
  from: 'node-a', net: 'host',
  targets: [{ to: 'node-b', net: 'host', address: '127.0.0.1', port: p }, { to: 'node-b', net: 'pod', address: '127.0.0.1', port: p }],
  tcpSeconds: 2, udpSeconds: 1, ...extra,
});

test('TCP and UDP over loopback: the real iperf3 output is read as iperf3 wrote it', () => {
  const r = run('sh', ['-c', CLIENT_SCRIPT], { env: env(port), timeoutMs: 90_000 });
  expect(r.status).toBe(0);
  const results = parseResults(r.stdout);
  expect(results.bad).toEqual([]);
  expect(results.tcp).toHaveLength(2);
  expect(results.udp).toHaveLength(2);
  for (const t of results.tcp) {
    expect(t.error).toBeUndefined();
    expect(t.bitsPerSecond).toBeGreaterThan(1e8);
    expect(typeof t.retransmits).toBe('number');
    expect(t.congestion).toMatch(/^(cubic|bbr|reno)$/);
    expect(t.rttMs).toBeGreaterThan(0);
    // iperf3 runs at least the asked 2 s; a loaded machine stretches it (seen: 2.68 s), so no upper bound tighter than the client's own timeout.
    expect(t.seconds).toBeGreaterThanOrEqual(1.9);
    expect(t.seconds).toBeLessThan(30);
  }
  // The parsed numbers are the document's own.
  const raw = JSON.parse(r.stdout.split('\n').find((l) => l.includes('"type":"tcp"'))!);
  expect(results.tcp[0].bitsPerSecond).toBe(raw.iperf.end.sum_sent.bits_per_second);
  for (const u of results.udp) {
    expect(u.error).toBeUndefined();
    expect(u.lostPercent).toBeGreaterThanOrEqual(0);
    expect(u.bitsPerSecond).toBeGreaterThan(5e6);
  }
  expect(results.ifaces).toHaveLength(1);
  expect(results.ifaces[0]).toMatchObject({ node: 'node-a', net: 'host' });
  expect(results.done).toEqual(['node-a/host']);
  // Loopback carries every probe size.
  expect(results.mtu.map((m) => [m.size, m.ok])).toEqual([...probeSizes(), ...probeSizes()].map((s) => [s, true]));
  const d = diagnose(results, { nodes: ['node-a', 'node-b'] });
  expect(d.matrices['node→node'].get('node-a')!.get('node-b')!.tcp!.bitsPerSecond).toBe(results.tcp[0].bitsPerSecond);
  expect(d.findings.filter((f) => f.kind === 'mtu')).toEqual([]);
});

test('the server answers only on the address it is bound to, not on another address of the same host', () => {
  expect(serverArgs(port)).toContain('127.0.0.1');
  const r = run('sh', ['-c', CLIENT_SCRIPT], {
    env: { ...env(port, { targets: [{ to: 'node-b', net: 'host', address: '127.0.0.2', port }] }), NETCHECK_RETRIES: '1', NETCHECK_SIZES: '1500' },
    timeoutMs: 60_000,
  });
  const results = parseResults(r.stdout);
  expect(results.tcp[0].error).toMatch(/unable to connect to server/);
  expect(results.udp[0].error).toMatch(/unable to connect to server/);
});

test('a server that is not there: iperf3 error, retried, then reported', () => {
  const r = run('sh', ['-c', CLIENT_SCRIPT], { env: { ...env(1, { targets: [{ to: 'gone', net: 'host', address: '127.0.0.1', port: 1 }] }), NETCHECK_RETRIES: '1', NETCHECK_SIZES: '1500' }, timeoutMs: 60_000 });
  const results = parseResults(r.stdout);
  expect(results.tcp[0].error).toMatch(/unable to connect to server/);
  expect(results.udp[0].error).toMatch(/unable to connect to server/);
});

/** Runs the client in a fresh network namespace whose loopback MTU is 1280, with its own iperf3 server. */
function inSmallMtuNamespace(wrap: string): { stdout: string; stderr: string; status: number | null } {
  const inner = `ip link set lo up mtu 1280 && iperf3 --server --port 5201 >/dev/null 2>&1 & s=$!; sleep 0.5; ${wrap} sh -c "$CLIENT_SCRIPT"; kill $s`;
  const e = env(5201, { sizes: probeSizes('vxlan') });
  const r = spawnSync('unshare', ['-n', 'sh', '-c', inner], {
    encoding: 'utf8', timeout: 120_000,
    env: { PATH: process.env.PATH, CLIENT_SCRIPT, ...e },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const canUnshare = isRoot() && spawnSync('unshare', ['-n', 'true']).status === 0;
const withNamespaces = canUnshare ? test : test.skip;

withNamespaces('the MTU probe finds a 1280-byte path with ping -M do, and the diagnosis names the limit', () => {
  const r = inSmallMtuNamespace('');
  const results = parseResults(r.stdout);
  expect(results.bad).toEqual([]);
  const probes = results.mtu.filter((m) => m.toNet === 'host');
  expect(probes.map((m) => [m.size, m.ok])).toEqual([[1230, true], [1280, true], [1420, false], [1450, false], [1500, false]]);
  // ping prints the local limit: "local error: message too long, mtu=1280".
  expect(probes.filter((m) => !m.ok).map((m) => m.reportedMtu)).toEqual([1280, 1280, 1280]);
  const d = diagnose(results, { nodes: ['node-a', 'node-b'] });
  expect(d.matrices['node→node'].get('node-a')!.get('node-b')).toMatchObject({ mtuOk: 1280, mtuFail: 1420 });
});

withNamespaces('where ping cannot run (uid 65534, no capabilities, no_new_privs, as in the pods), iperf3 --dont-fragment finds the same limit', () => {
  const r = inSmallMtuNamespace('setpriv --reuid=65534 --regid=65534 --clear-groups --bounding-set=-all --inh-caps=-all --no-new-privs --');
  expect(r.stderr).toMatch(/ping cannot run here; probing with iperf3 --dont-fragment/);
  const results = parseResults(r.stdout);
  expect(results.bad).toEqual([]);
  expect(results.tcp.every((t) => !t.error && (t.bitsPerSecond ?? 0) > 0)).toBe(true);
  const probes = results.mtu.filter((m) => m.toNet === 'host');
  expect(probes.map((m) => [m.size, m.ok])).toEqual([[1230, true], [1280, true], [1420, false], [1450, false], [1500, false]]);
});
