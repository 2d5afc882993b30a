/**
 * k3s node configuration: the bind-address bug versions (k3s-io/k3s#10444), the overlay MTU,
 * and config.yaml per node.
 */
import { parse } from 'yaml';
import { planConfig, resolveConfig } from '../lib';
import { parseCpu, parseMemory } from '../lib/rules/quantity';
import { errorsOf, exampleRaw, messageAt, resolved, withChange } from './support/fixtures';
import { bindAddressBug, k3sNodeConfigs, overlayMtu } from '../lib/rules/k3s';

describe('the bind-address kubelet bug (k3s-io/k3s#10444)', () => {
  test.each([
    ['v1.30.0+k3s1', false], ['v1.30.1+k3s1', false], ['v1.30.2+k3s1', true], ['v1.30.2+k3s2', true], ['v1.30.3+k3s1', false], ['v1.30.6+k3s1', false],
    ['v1.29.5+k3s1', false], ['v1.29.6+k3s1', true], ['v1.29.6+k3s2', true], ['v1.29.7+k3s1', false],
    ['v1.28.10+k3s1', false], ['v1.28.11+k3s1', true], ['v1.28.12+k3s1', false],
    ['v1.27.14+k3s1', false], ['v1.27.15+k3s1', true], ['v1.27.16+k3s1', false],
    ['v1.31.0+k3s1', false], ['v1.26.15+k3s1', false],
  ])('%s: broken %s', (v, broken) => {
    expect(bindAddressBug(v) !== undefined).toBe(broken);
  });
  test('the refusal names the issue and every fixed release', () => {
    expect(bindAddressBug('v1.30.2+k3s1')).toMatch(/k3s-io\/k3s#10444.*v1\.27\.16\+k3s1, v1\.28\.12\+k3s1, v1\.29\.7\+k3s1, v1\.30\.3\+k3s1/);
  });
  test('refused only when a server sets bind-address (has an address)', () => {
    const bad = withChange(exampleRaw(), (c) => { c.k3s.version = 'v1.29.6+k3s2'; });
    expect(messageAt(errorsOf(bad), 'k3s.version')).toMatch(/bind-address is set because the servers cloud-1, cloud-2, cloud-3 have an address; upgrade/);
    const noBind = withChange(bad, (c) => { for (const n of c.nodes.inventory) if (n.role === 'server') delete n.address; });
    expect(resolveConfig(noBind).ok).toBe(true);
  });
});

describe('config.yaml per node', () => {
  const cfg = resolved();
  const settings = { version: cfg.k3s?.version, flannelBackend: 'vxlan' as const, clusterCidr: '10.42.0.0/16' };
  const r = k3sNodeConfigs(cfg.nodes.inventory, settings, cfg.nodes.poolLabel);
  const yamlOf = (node: string) => parse(r.files.find((f) => f.node === node)!.configYaml);

  test('the first server initializes embedded etcd, binds and advertises its private address; flannel uses the private interface', () => {
    expect(r.problems).toEqual([]);
    expect(yamlOf('cloud-1')).toEqual({
      'token-file': '/etc/rancher/k3s/cluster-token', 'cluster-init': true, 'node-ip': '100.96.0.1', 'flannel-iface': 'CloudflareWARP', 'bind-address': '100.96.0.1', 'advertise-address': '100.96.0.1',
      'flannel-backend': 'vxlan', 'cluster-cidr': '10.42.0.0/16', 'flannel-conf': '/etc/rancher/k3s/flannel-net-conf.json',
      'kubelet-arg': ['kube-reserved=cpu=200m,memory=1345Mi'], 'node-label': ['node-pool=cloud'],
    });
  });
  test('agents join the server by its address, read the token from a file, and never bind', () => {
    const pi = yamlOf('pi-1');
    expect(pi).toMatchObject({ server: 'https://100.96.0.1:6443', 'token-file': '/etc/rancher/k3s/cluster-token', 'node-ip': '100.96.0.4', 'flannel-iface': 'CloudflareWARP', 'node-label': ['node-pool=onprem'] });
    expect(pi['bind-address']).toBeUndefined();
    expect(pi['flannel-backend']).toBeUndefined();
    for (const f of r.files) expect(parse(f.configYaml).token).toBeUndefined();
  });
  test('WARP (1280): an explicit overlay MTU of 1230 with VXLAN, 1200 with WireGuard, the same on every node', () => {
    expect(overlayMtu(1280, 'vxlan')).toBe(1230);
    expect(overlayMtu(1280, 'wireguard-native')).toBe(1200);
    expect(r.overlayMtu).toBe(1230);
    for (const f of r.files) expect(JSON.parse(f.flannelConf!)).toEqual({ Network: '10.42.0.0/16', EnableIPv4: true, EnableIPv6: false, Backend: { Type: 'vxlan', MTU: 1280 } });
    const wg = k3sNodeConfigs(cfg.nodes.inventory, { ...settings, flannelBackend: 'wireguard-native' }, 'node-pool');
    expect(wg.overlayMtu).toBe(1200);
    expect(JSON.parse(wg.files[0].flannelConf!).Backend).toEqual({ Type: 'wireguard', PersistentKeepaliveInterval: 25, MTU: 1280 });
  });
  test('every interface at 1500: flannel derives the MTU itself, no flannel-conf', () => {
    const eth = cfg.nodes.inventory.map((n) => ({ ...n, interface: 'eth1', mtu: undefined }));
    const plain = k3sNodeConfigs(eth, settings, 'node-pool');
    expect(plain.overlayMtu).toBeUndefined();
    for (const f of plain.files) {
      expect(f.flannelConf).toBeUndefined();
      expect(parse(f.configYaml)['flannel-conf']).toBeUndefined();
    }
    expect(plain.notes.join()).toMatch(/1450 with vxlan/);
  });
  test('one small interface lowers the whole overlay', () => {
    const mixed = cfg.nodes.inventory.map((n) => ({ ...n, interface: 'eth1', mtu: n.name === 'pi-1' ? 1420 : undefined }));
    const m = k3sNodeConfigs(mixed, settings, 'node-pool');
    expect(m.overlayMtu).toBe(1370);
    expect(m.notes[0]).toMatch(/smallest interface MTU is 1420 on pi-1 \(eth1\)/);
  });
  test('several servers: the first initializes the cluster, the others join it', () => {
    const ha = cfg.nodes.inventory.map((n, i) => ({ ...n, role: i < 3 ? 'server' as const : 'agent' as const }));
    const h = k3sNodeConfigs(ha, settings, 'node-pool');
    expect(parse(h.files[0].configYaml)['cluster-init']).toBe(true);
    expect(parse(h.files[1].configYaml)).toMatchObject({ server: 'https://100.96.0.1:6443', 'bind-address': '100.96.0.2' });
  });
  test('the example: three servers with embedded etcd (OCW.Social), the Pi an agent; the same model as the plan', () => {
    for (const n of ['cloud-2', 'cloud-3']) {
      expect(yamlOf(n)).toMatchObject({ server: 'https://100.96.0.1:6443', 'token-file': '/etc/rancher/k3s/cluster-token', 'bind-address': n === 'cloud-2' ? '100.96.0.2' : '100.96.0.3' });
      expect(yamlOf(n)['cluster-init']).toBeUndefined();
    }
    expect(r.notes).toContain('control plane: 3 k3s servers (cloud-1, cloud-2, cloud-3) with embedded etcd, quorum 2 of 3: survives the loss of any one server');
    for (const f of r.files) expect(f.configYaml).toMatch(/^# Control plane: 3 k3s servers .* quorum 2 of 3/m);
  });
  test('one server: SQLite by default (no cluster-init, no token needed on it); datastore etcd writes cluster-init so servers can join later', () => {
    const single = cfg.nodes.inventory.map((n, i) => ({ ...n, role: i === 0 ? 'server' as const : 'agent' as const }));
    const lite = k3sNodeConfigs(single, settings, 'node-pool');
    expect(parse(lite.files[0].configYaml)['cluster-init']).toBeUndefined();
    expect(parse(lite.files[0].configYaml)['token-file']).toBeUndefined();
    expect(lite.notes).toContain('control plane: 1 k3s server (cloud-1) on SQLite: losing cloud-1 stops the Kubernetes API');
    const etcd = k3sNodeConfigs(single, { ...settings, datastore: 'etcd' }, 'node-pool');
    expect(parse(etcd.files[0].configYaml)).toMatchObject({ 'cluster-init': true, 'token-file': '/etc/rancher/k3s/cluster-token' });
    expect(k3sNodeConfigs(cfg.nodes.inventory, { ...settings, datastore: 'sqlite' }, 'node-pool').problems.join()).toMatch(/k3s.datastore: is sqlite, which serves one k3s server only/);
  });
  test('what k3s-config needs is said, not guessed', () => {
    const noRoles = cfg.nodes.inventory.map((n) => ({ ...n, role: undefined }));
    expect(k3sNodeConfigs(noRoles, settings, 'node-pool').problems[0]).toMatch(/set role: server or agent/);
    const buggy = k3sNodeConfigs(cfg.nodes.inventory, { ...settings, version: 'v1.30.2+k3s1' }, 'node-pool');
    expect(buggy.files).toEqual([]);
    expect(buggy.problems.join()).toMatch(/#10444/);
  });
});

describe('rebuilding a server of an existing cluster (k3s-io/k3s discussion #7070)', () => {
  const cfg = resolved();
  const settings = { version: cfg.k3s?.version, flannelBackend: 'vxlan' as const, clusterCidr: '10.42.0.0/16', reserve: cfg.nodes.reserve };
  const yamlOf = (r: ReturnType<typeof k3sNodeConfigs>, node: string) => parse(r.files.find((f) => f.node === node)!.configYaml);

  test('before the cluster exists, the first server says in its file that cluster-init is for the first start only', () => {
    const r = k3sNodeConfigs(cfg.nodes.inventory, settings, cfg.nodes.poolLabel);
    expect(r.files[0].configYaml).toMatch(/^# cluster-init starts a new etcd cluster.*k3s\.bootstrapped: true/m);
    expect(r.files[1].configYaml).not.toMatch(/cluster-init starts a new etcd cluster/);
  });
  test('k3s.bootstrapped: a rejoining first server gets server: (another server) and no cluster-init', () => {
    const r = k3sNodeConfigs(cfg.nodes.inventory, { ...settings, bootstrapped: true }, cfg.nodes.poolLabel);
    expect(r.problems).toEqual([]);
    const first = yamlOf(r, 'cloud-1');
    expect(first['cluster-init']).toBeUndefined();
    expect(first).toMatchObject({ server: 'https://100.96.0.2:6443', 'token-file': '/etc/rancher/k3s/cluster-token' });
    expect(yamlOf(r, 'cloud-2')).toMatchObject({ server: 'https://100.96.0.1:6443' });
    expect(yamlOf(r, 'pi-1')).toMatchObject({ server: 'https://100.96.0.1:6443' });
    for (const f of r.files) expect(parse(f.configYaml)['cluster-init']).toBeUndefined();
    expect(r.notes.join('\n')).toMatch(/bootstrapped: every server joins an existing one/);
  });
  test('k3s.bootstrapped is accepted by the config; with one server there is nobody to join, so it is refused with the fix', () => {
    expect(resolveConfig(withChange(exampleRaw(), (c) => { c.k3s.bootstrapped = true; })).ok).toBe(true);
    const single = withChange(exampleRaw(), (c) => { c.k3s.bootstrapped = true; c.nodes.inventory.forEach((n: any, i: number) => { n.role = i === 0 ? 'server' : 'agent'; }); });
    expect(messageAt(errorsOf(single), 'k3s.bootstrapped')).toMatch(/only one node has role: server.*nothing to join.*leave k3s.bootstrapped out/);
  });
});

describe('kubelet reservations match the plan', () => {
  const cfg = resolved();
  const settings = { version: cfg.k3s?.version, flannelBackend: 'vxlan' as const, clusterCidr: '10.42.0.0/16', reserve: cfg.nodes.reserve };
  const r = k3sNodeConfigs(cfg.nodes.inventory, settings, cfg.nodes.poolLabel);
  /** What the kubelet subtracts from capacity: system-reserved + kube-reserved (k3s sets no memory eviction threshold). */
  const reservedBy = (args: string[]) => {
    let cpu = 0; let memory = 0;
    for (const a of args) {
      const m = /^(system|kube)-reserved=(.*)$/.exec(a);
      if (!m) continue;
      for (const kv of m[2].split(',')) {
        const [k, v] = kv.split('=');
        if (k === 'cpu') cpu += parseCpu(v);
        if (k === 'memory') memory += parseMemory(v);
      }
    }
    return { cpu, memory };
  };

  test('every node reserves nodes.reserve; servers also the control plane', () => {
    expect(parse(r.files.find((f) => f.node === 'pi-1')!.configYaml)['kubelet-arg']).toEqual(['system-reserved=cpu=250m,memory=768Mi']);
    expect(parse(r.files.find((f) => f.node === 'cloud-2')!.configYaml)['kubelet-arg']).toEqual(['system-reserved=cpu=250m,memory=768Mi', 'kube-reserved=cpu=200m,memory=1345Mi']);
  });
  test("the plan's allocatable equals capacity minus what the generated kubelet flags reserve, on every node", () => {
    const planned = planConfig(cfg).nodes;
    expect(planned).toHaveLength(r.files.length);
    for (const n of planned) {
      const args = parse(r.files.find((f) => f.node === n.name)!.configYaml)['kubelet-arg'];
      const reserved = reservedBy(args);
      expect({ node: n.name, cpu: n.capacity.cpu - reserved.cpu, memory: n.capacity.memory - reserved.memory }).toEqual({ node: n.name, ...n.allocatable });
    }
  });
  test("a node's own reserve wins over nodes.reserve", () => {
    const own = cfg.nodes.inventory.map((n) => (n.name === 'pi-1' ? { ...n, reserve: { cpu: '500m', memory: '1Gi' } } : n));
    const o = k3sNodeConfigs(own, settings, cfg.nodes.poolLabel);
    expect(parse(o.files.find((f) => f.node === 'pi-1')!.configYaml)['kubelet-arg']).toEqual(['system-reserved=cpu=500m,memory=1Gi']);
  });
});

describe('no role on any node', () => {
  test('resolve warns at nodes.inventory with the fix; the example (roles set) gets no such warning', () => {
    const noRoles = withChange(exampleRaw(), (c) => { for (const n of c.nodes.inventory) delete n.role; });
    const w = resolved(noRoles).warnings.filter((x) => x.startsWith('nodes.inventory:'));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/no node has a role.*cannot tell which nodes carry the Kubernetes API.*set role: server or agent on each node.*three servers with embedded etcd/);
    expect(resolved().warnings.filter((x) => x.startsWith('nodes.inventory:'))).toEqual([]);
  });
  test('some nodes with a role and others without: no warning from this rule (k3s-config names each one)', () => {
    const some = withChange(exampleRaw(), (c) => { delete c.nodes.inventory[3].role; });
    expect(resolved(some).warnings.filter((x) => x.startsWith('nodes.inventory:'))).toEqual([]);
  });
});
