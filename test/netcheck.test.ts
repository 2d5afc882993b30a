/**
 * The network doctor: the parser on real iperf3 output, the diagnosis on every recorded
 * scenario, the report, and the manifests (strict schemas, one server per node per network in
 * the plan, one measurement at a time, time limits).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Resvg } from '@resvg/resvg-js';
import { nodesFromInventory } from '../lib';
import { netcheckRoom } from '../lib/netcheck/plan';
import { K8S_VERSIONS, K8sValidator } from './support/k8s-validator';
import { ForgivenLog, podPolicyOffences } from './support/pod-policy';
import { exampleRaw, resolved, ROOT, withChange } from './support/fixtures';
import { SCENARIOS, NODES } from './fixtures/netcheck/build';
import { CLIENT_SCRIPT, probeSizes } from '../lib/netcheck/script';
import { diagnose } from '../lib/netcheck/diagnose';
import { formatReport, reportSvg } from '../lib/netcheck/report';
import { IMAGES } from '../lib/rules/images';
import { netcheckManifests, runScript, serverHost, nodeLabel } from '../lib/netcheck/manifests';
import { parseResults, readTcp, readUdp } from '../lib/netcheck/parse';
import { placePods, podsFromObjects } from '../lib/rules/scheduler';
import { renderManifests, renderNodeTuning } from '../lib/app/render';

const FIX = path.join(ROOT, 'test', 'fixtures', 'netcheck');
const recorded = (f: string) => JSON.parse(fs.readFileSync(path.join(FIX, 'recorded', f), 'utf8'));
const fixture = (name: string) => fs.readFileSync(path.join(FIX, `${name}.jsonl`), 'utf8');
const diagnosed = (name: string) => diagnose(parseResults(fixture(name)), { nodes: NODES });
const kinds = (name: string) => diagnosed(name).findings.map((f) => f.kind);

describe('iperf3 JSON, as iperf3 3.12 wrote it on 127.0.0.1', () => {
  test('a TCP run: sender throughput, retransmits, congestion control, mean RTT', () => {
    const doc = recorded('tcp-loopback.json');
    expect(readTcp(doc)).toEqual({
      bitsPerSecond: doc.end.sum_sent.bits_per_second,
      receivedBitsPerSecond: doc.end.sum_received.bits_per_second,
      retransmits: doc.end.sum_sent.retransmits,
      congestion: doc.end.sender_tcp_congestion,
      rttMs: doc.end.streams[0].sender.mean_rtt / 1000,
      seconds: doc.end.sum_sent.seconds,
    });
    expect(readTcp(doc).bitsPerSecond).toBeGreaterThan(1e9);
  });
  test('a UDP run: loss, jitter and rate from end.sum', () => {
    const doc = recorded('udp-loopback.json');
    expect(readUdp(doc)).toEqual({ bitsPerSecond: doc.end.sum.bits_per_second, lostPercent: doc.end.sum.lost_percent, jitterMs: doc.end.sum.jitter_ms });
  });
  test('a refused connection: iperf3 error text, no numbers', () => {
    expect(readTcp(recorded('tcp-refused.json'))).toEqual({ error: 'unable to connect to server: Connection refused' });
    expect(readUdp(recorded('tcp-refused.json'))).toEqual({ error: 'unable to connect to server: Connection refused' });
    expect(readTcp(null).error).toMatch(/printed nothing/);
  });
});

describe('fixtures', () => {
  test.each(Object.keys(SCENARIOS))('%s.jsonl is what build.ts writes from the recorded runs', (name) => {
    expect(fixture(name)).toBe(SCENARIOS[name]);
  });
});

describe('diagnosis on every recorded scenario', () => {
  test('healthy: nothing to fix', () => {
    const d = diagnosed('healthy');
    expect(d.findings.map((f) => f.kind)).toEqual(['healthy']);
    expect(d.healthy).toBe(true);
    expect(d.recommendsBbr).toBe(false);
  });

  test('the MTU mismatch: which interface, what MTU to set, every pair it hurts, and no BBR', () => {
    const d = diagnosed('mtu-mismatch');
    expect(kinds('mtu-mismatch')).toEqual(['mtu']);
    const m = d.findings[0].message;
    expect(m).toMatch(/cloud-1–pi-1, cloud-2–pi-1, cloud-3–pi-1/);
    expect(m).toMatch(/1420-byte don't-fragment probe fails where 1280 passes/);
    expect(m).toMatch(/pi-1's CloudflareWARP has MTU 1280/);
    expect(m).toMatch(/Set the overlay MTU to 1230 \(1280 − 50\) on every node/);
    expect(m).toMatch(/give pi-1 `interface: CloudflareWARP` and `mtu: 1280`/);
    expect(m).toMatch(/3\.2 Mb\/s–12 Mb\/s with up to 950 retransmits, node to node 240 Mb\/s/);
    expect(d.healthy).toBe(false);
    expect(d.recommendsBbr).toBe(false);
    expect(d.matrices['pod→pod'].get('pi-1')!.get('cloud-1')!.tcp!.bitsPerSecond).toBeCloseTo(3.2e6);
    expect(d.matrices['node→node'].get('pi-1')!.get('cloud-1')!.mtuOk).toBe(1280);
  });

  test('the congestion case: BBR for every long, lossy pair under cubic, and nothing else', () => {
    const d = diagnosed('congestion');
    expect(new Set(kinds('congestion'))).toEqual(new Set(['congestion']));
    const pairs = d.findings.map((f) => /from (\S+) to (\S+):/.exec(f.message)!.slice(1).join('>')).sort();
    expect(pairs).toEqual(['cloud-1>pi-1', 'cloud-2>pi-1', 'cloud-3>pi-1', 'pi-1>cloud-1', 'pi-1>cloud-2', 'pi-1>cloud-3']);
    expect(d.findings[0].message).toMatch(/RTT 48 ms.*1\.8% UDP loss.*nodeTuning\.bbr.*pods created before keep cubic/);
    expect(d.recommendsBbr).toBe(true);
  });

  test('a node that never answered: silent in both networks, its servers unreachable, no false MTU finding', () => {
    const d = diagnosed('silent-node');
    expect(d.findings.map((f) => f.kind).sort()).toEqual(['silent', 'silent', 'unreachable', 'unreachable']);
    for (const f of d.findings) expect(f.message).toMatch(/cloud-3/);
    expect(formatReport(d)).toMatch(/no answer/);
  });

  test('malformed lines: each named with its line number, the rest read as usual', () => {
    const r = parseResults(fixture('malformed'));
    expect(r.bad.map((b) => b.line)).toEqual([4, 43, 44]);
    expect(r.bad[0].reason).toMatch(/not JSON/);
    expect(r.bad[1].reason).toMatch(/netcheck/);
    expect(r.bad[2].reason).toMatch(/toNet/);
    // The kubectl --prefix line is read; the cut-off copy is not counted twice.
    expect(r.tcp.length).toBe(parseResults(fixture('healthy')).tcp.length);
    const d = diagnose(r, { nodes: NODES });
    expect(d.findings.map((f) => f.kind)).toEqual(['healthy', 'malformed']);
  });

  test('the diagnosis reacts to the numbers: a healthy run with slow pod paths is an overlay problem', () => {
    const r = parseResults(fixture('healthy'));
    const slowed = { ...r, tcp: r.tcp.map((t) => (t.from === 'cloud-2' && t.to === 'cloud-3' && t.toNet === 'pod' ? { ...t, bitsPerSecond: 20e6, retransmits: 400 } : t)) };
    const d = diagnose(slowed, { nodes: NODES });
    expect(d.findings.map((f) => f.kind)).toEqual(['overlay']);
    expect(d.findings[0].message).toMatch(/from cloud-2 to cloud-3: node→node carries 900 Mb\/s but node→pod 20 Mb\/s with 400 retransmits/);
  });

  test('a healthy Pi over WARP stays healthy: Cubic\'s ordinary retransmits on a 32 ms link are not congestion', () => {
    // 220 Mb/s for 10 s is ~190,000 full segments; 180 retransmits is 0.1%, what Cubic's
    // slow-start overshoot and queue filling cost on any long, clean path.
    const r = parseResults(fixture('healthy'));
    const far = (t: { from: string; to: string }) => t.from === 'pi-1' || t.to === 'pi-1';
    const warp = { ...r, tcp: r.tcp.map((t) => (far(t) ? { ...t, bitsPerSecond: 220e6, retransmits: 180, rttMs: 32, congestion: 'cubic' } : t)) };
    const d = diagnose(warp, { nodes: NODES });
    expect(d.findings.map((f) => f.kind)).toEqual(['healthy']);
    expect(d.recommendsBbr).toBe(false);
  });

  test('garbage in, no crash', () => {
    const r = parseResults('\u0000{"netcheck"\n{"netcheck":1}\nplain text\n');
    expect(r.bad).toHaveLength(2);
    expect(diagnose(r).healthy).toBe(false);
  });
});

describe('report', () => {
  test('text: four matrices, then the diagnosis', () => {
    const text = formatReport(diagnosed('mtu-mismatch'));
    for (const k of ['node→node', 'node→pod', 'pod→node', 'pod→pod']) expect(text).toContain(`${k}  (rows: from`);
    expect(text).toMatch(/pi-1 +3\.2 Mb\/s r950 0\.0% loss/);
    expect(text).toMatch(/Diagnosis:\n {2}- MTU mismatch/);
  });
  test('SVG heat map renders to a PNG', () => {
    const svg = reportSvg(diagnosed('mtu-mismatch'));
    for (const n of NODES) expect(svg).toContain(`>${n}</text>`);
    const png = new Resvg(svg, { fitTo: { mode: 'width', value: 800 } }).render().asPng();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('manifests', () => {
  const config = resolved();
  const set = netcheckManifests({ nodes: config.nodes.inventory.map((n) => n.name), image: IMAGES.netcheck });
  const objects = Object.values(set.files).flat();
  const jobs = objects.filter((o) => o.kind === 'Job');
  const servers = jobs.filter((o) => o.metadata.labels!['app.kubernetes.io/component'] === 'server');
  const clients = jobs.filter((o) => o.metadata.labels!['app.kubernetes.io/component'] === 'client');

  test.each(K8S_VERSIONS)('validate strictly against Kubernetes %s', (v) => {
    expect(new K8sValidator(v).validateAll(objects as any[])).toEqual([]);
  });

  test('one server per node per network, pinned, and the plan places each beside the running pods', () => {
    expect(servers.map((s) => s.metadata.name).sort()).toEqual(NODES.flatMap((n) => [`server-${n}-host`, `server-${n}-pod`]).sort());
    const nodes = nodesFromInventory(config.nodes.inventory, config.nodes.poolLabel, config.nodes.reserve);
    const normal = placePods(podsFromObjects([...renderManifests(config), ...renderNodeTuning(config)]), nodes);
    const room = netcheckRoom(objects, normal, nodes);
    expect(room.problems).toEqual([]);
    expect(room.nodes.map((r) => [r.node, r.servers])).toEqual(NODES.map((n) => [n, ['host', 'pod']]));
    // And the check can fail: a Pi with no memory left, a node the manifests forgot.
    const full = nodes.map((n) => (n.name === 'pi-1' ? { ...n, allocatable: { ...n.allocatable, memory: 64 * 2 ** 20 } } : n));
    expect(netcheckRoom(objects, placePods([], full), full).problems.join('\n')).toMatch(/pi-1: the netcheck pods request 96Mi, only 64Mi is free/);
    const extra = [...nodes, { ...nodes[0], name: 'cloud-9', labels: { ...nodes[0].labels, 'kubernetes.io/hostname': 'cloud-9' } }];
    expect(netcheckRoom(objects, placePods([], extra), extra).problems.join('\n')).toMatch(/cloud-9: expected one server per network \(host, pod\), found none/);
  });

  test('host-network servers and clients, DNS names that point at each server', () => {
    for (const s of servers) {
      const spec = s.spec.template.spec;
      const net = s.metadata.labels!['netcheck.cdk8s-mastodon/net'] as 'host' | 'pod';
      expect(spec.hostNetwork === true).toBe(net === 'host');
      if (net === 'host') expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
      expect(`${spec.hostname}.${spec.subdomain}.netcheck.svc.cluster.local`).toBe(serverHost(spec.nodeSelector['kubernetes.io/hostname'], net));
    }
    const svc = objects.find((o) => o.kind === 'Service')!;
    expect(svc.spec.clusterIP).toBe('None');
    for (const s of servers) expect(Object.entries(svc.spec.selector).every(([k, v]) => s.spec.template.metadata.labels[k] === v)).toBe(true);
    expect(nodeLabel('node.example.com')).toMatch(/^node-example-com-[a-z0-9]+$/);
  });

  test('each server listens only on the address its DNS name points at (the pod IP: the node\'s own in the host network)', () => {
    for (const s of servers) {
      const c = s.spec.template.spec.containers[0];
      expect(c.command).toEqual(['iperf3', '--server', '--port', '5201', '--bind', '$(NETCHECK_BIND)']);
      expect(c.env).toContainEqual({ name: 'NETCHECK_BIND', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    }
  });

  test('run.sh waits for the server pods to exist before it waits for them to be Ready', () => {
    const run = runScript(set);
    const count = run.indexOf(`-ge ${servers.length} ]`);
    expect(count).toBeGreaterThan(run.indexOf('kubectl apply -f 10-servers.yaml'));
    expect(count).toBeLessThan(run.indexOf('--for=condition=Ready pod -l'));
    expect(run).toMatch(/get pods -l app\.kubernetes\.io\/component=server -o name/);
  });

  test('run.sh deletes an earlier run\'s Jobs (and waits for their pods) before it applies, and its timeout says how to clean up', () => {
    const run = runScript(set);
    // Applying over Jobs kept for ttlSecondsAfterFinished would change nothing and time out.
    const del = run.indexOf(`kubectl -n ${set.namespace} delete jobs -l app.kubernetes.io/name=netcheck,app.kubernetes.io/managed-by=cdk8s-mastodon --ignore-not-found --cascade=foreground --wait=true`);
    expect(del).toBeGreaterThan(run.indexOf('kubectl apply -f 00-namespace.yaml'));
    expect(del).toBeLessThan(run.indexOf('kubectl apply -f 10-servers.yaml'));
    for (const job of [...servers, ...clients]) {
      expect(job.metadata.namespace).toBe(set.namespace);
      expect(job.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'netcheck', 'app.kubernetes.io/managed-by': 'cdk8s-mastodon' });
    }
    expect(run).toMatch(/not created within 300s .*or, if an earlier run's Jobs still exist, delete them first: kubectl delete namespace netcheck/);
  });

  test('one measurement at a time, each with a time limit, cleaned up afterwards', () => {
    expect(clients).toHaveLength(NODES.length * 2);
    for (const c of clients) {
      expect(c.spec.suspend).toBe(true);
      expect(c.spec.activeDeadlineSeconds).toBe(set.clientDeadline);
      expect(c.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
      expect(c.spec.backoffLimit).toBe(0);
      const env = Object.fromEntries(c.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
      const from = c.spec.template.spec.nodeSelector['kubernetes.io/hostname'];
      // Every other node, in both networks.
      expect(env.NETCHECK_TARGETS.split('\n').map((l: string) => l.split(' ').slice(0, 2).join('/')).sort())
        .toEqual(NODES.filter((n) => n !== from).flatMap((n) => [`${n}/host`, `${n}/pod`]).sort());
      expect(env.NETCHECK_SIZES).toBe(probeSizes('vxlan').join(' '));
    }
    expect(probeSizes('vxlan')).toEqual([1230, 1280, 1420, 1450, 1500]);
    expect(probeSizes('wireguard-native')).toEqual([1200, 1280, 1420, 1500]);
    for (const s of servers) expect(s.spec.activeDeadlineSeconds).toBeGreaterThan(set.clientDeadline * clients.length);
    const run = runScript(set);
    // run.sh resumes each Job, waits for it and collects its log before the next one.
    const order = set.clientJobs.map((j) => j);
    expect(run).toContain(`for job in ${order.join(' ')}; do`);
    expect(run.indexOf('suspend":false')).toBeLessThan(run.indexOf('--for=condition=Complete'));
    expect(run.indexOf('--for=condition=Complete')).toBeLessThan(run.indexOf('logs "job/$job"'));
  });

  test('run.sh and the client script are valid sh (sh -n)', () => {
    for (const text of [runScript(set), CLIENT_SCRIPT]) {
      const r = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  test('pod policy: everything strict; the host-network pods only share the host network', () => {
    const forgiven: ForgivenLog = new Map();
    expect(podPolicyOffences(objects as any[], forgiven)).toEqual([]);
    // The host-network Jobs are exempt (POD_POLICY_EXEMPTIONS) from that one rule only.
    const hostJobs = jobs.filter((j) => j.spec.template.spec.hostNetwork).map((j) => `Job/${j.metadata.name}: shares a host namespace`);
    expect([...forgiven.values()].flat().sort()).toEqual(hostJobs.sort());
    for (const j of jobs) expect(j.spec.template.spec.hostPID ?? false).toBe(false);
  });

  test('a wireguard-native cluster probes its own overlay sizes', () => {
    const wg = netcheckManifests({ nodes: ['a', 'b'], image: IMAGES.netcheck, backend: 'wireguard-native' });
    const env = (wg.files['20-clients.yaml'][0] as any).spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'NETCHECK_SIZES').value).toBe('1200 1280 1420 1500');
  });

  test('the image is in the image table, pinned, for both architectures', () => {
    expect(IMAGES.netcheck).toEqual({ repository: 'docker.io/nicolaka/netshoot', tag: 'v0.16', architectures: ['amd64', 'arm64'] });
    for (const j of jobs) expect(j.spec.template.spec.containers[0].image).toBe('docker.io/nicolaka/netshoot:v0.16');
  });

  test('a bigger inventory gets a Job pair per node', () => {
    const raw = withChange(exampleRaw(), (c) => { c.nodes.inventory.push({ ...c.nodes.inventory[1], name: 'cloud-4', address: '100.96.0.5' }); });
    const more = netcheckManifests({ nodes: resolved(raw).nodes.inventory.map((n) => n.name), image: IMAGES.netcheck });
    expect(more.clientJobs).toHaveLength(10);
  });
});
