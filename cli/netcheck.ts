import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { parseArgsOrExit, usageError } from './args';
import { die, lib } from './common';
import { Invocation, loadConfigOrExit, png, shown, synopsis } from './invocation';

/** What `netcheck --help` prints. */
export function netcheckUsage(inv: Invocation): string {
  const [manifests, report, restarts] = [synopsis(inv, 'netcheck', '--out DIR'), synopsis(inv, 'netcheck', 'report FILE [--out DIR]', true), synopsis(inv, 'netcheck', 'restarts', true)];
  const width = Math.max(manifests.length, report.length, restarts.length) + 2;
  return `${manifests.padEnd(width)}the iperf3 matrix manifests and run.sh (default: netcheck/)
${report.replace('usage:', '      ').padEnd(width)}the matrices, diagnosis and heat map of the collected logs
${restarts.replace('usage:', '      ').padEnd(width)}the commands that restart every workload
  --out DIR   where to write (manifests: default netcheck/; report: the pictures, default the current folder)
  -h, --help  print this help
${inv.configNote}`;
}

/**
 * netcheck: the network doctor. Without a subcommand, the iperf3 matrix manifests and run.sh;
 * `report FILE`, the matrices, diagnosis and heat map of the collected logs; `restarts`, the
 * commands that restart every workload (after BBR or an MTU change).
 */
export function netcheck(args: string[], inv: Invocation): number {
  const usage = netcheckUsage(inv);
  const { values, positionals } = parseArgsOrExit(usage, { args, allowPositionals: true, options: { out: { type: 'string' } } });
  const maxArgs = positionals[0] === 'report' ? 2 : positionals[0] === 'restarts' ? 1 : 0;
  if (positionals.length > maxArgs) usageError(usage, positionals.length === 1 ? `Unknown command '${positionals[0]}'` : `Unexpected argument '${positionals[maxArgs]}'`);
  const input = positionals[1];
  if (positionals[0] === 'report' && (!input || !fs.existsSync(input))) {
    usageError(usage, `netcheck report: ${input ? `${input} does not exist` : 'name the collected log'}; run it as npm run netcheck -- report netcheck/results.jsonl`);
  }
  if (positionals[0] === 'report' && !fs.statSync(input).isFile()) {
    usageError(usage, `netcheck report: ${input} is a folder, not the collected log file; run it as npm run netcheck -- report netcheck/results.jsonl`);
  }
  const L = lib();
  const config = loadConfigOrExit(inv);
  const nodeNames = config.nodes.inventory.map((n) => n.name);
  const backend = config.k3s?.flannelBackend ?? 'vxlan';
  const chartObjects = () => [...L.renderManifests(config), ...L.renderNodeTuning(config)];
  const restarts = () => [
    'Pods keep the congestion control their network namespace started with: restart the workloads once',
    `the node-tuning DaemonSet is Ready on every node (kubectl -n ${config.nodeTuning.namespace ?? `${config.name}-node-tuning`} get ds):`,
    ...L.restartCommands(chartObjects(), { except: `${config.name}-node-tuning` }).map((c) => `  ${c}`),
    'and the cluster\'s own (CoreDNS, Traefik, ...): kubectl get pods -A, then restart what predates the DaemonSet.',
  ].join('\n');

  if (positionals[0] === 'restarts') {
    console.log(restarts());
    return 0;
  }
  if (positionals[0] === 'report') {
    const text = fs.readFileSync(input, 'utf8');
    const results = L.parseResults(text);
    const empty = L.whyNoNetcheckLines(text, results);
    if (empty) die(`netcheck report: ${input} ${empty}`);
    const d = L.diagnose(results, { nodes: nodeNames, backend });
    console.log(L.formatReport(d));
    if (d.recommendsBbr) console.log(`\n${restarts()}`);
    // The pictures go where the user is (or --out), never beside the input, wherever that is.
    const out = path.resolve(values.out ?? '.');
    fs.mkdirSync(out, { recursive: true });
    const svg = L.reportSvg(d);
    fs.writeFileSync(path.join(out, 'netcheck.svg'), svg);
    fs.writeFileSync(path.join(out, 'netcheck.png'), png(svg));
    console.log(`\nwrote ${shown(path.join(out, 'netcheck.svg'))} and netcheck.png`);
    return d.healthy ? 0 : 1;
  }

  const out = path.resolve(values.out ?? 'netcheck');
  const set = L.netcheckManifests({ nodes: nodeNames, image: L.IMAGES.netcheck, backend });
  // Room beside the running pods: one server per node per network, and one client at a time.
  const nodes = L.nodesFromInventory(config.nodes.inventory, config.nodes.poolLabel, config.nodes.reserve);
  const normal = L.placePods(L.podsFromObjects(chartObjects()), nodes);
  const room = L.netcheckRoom(Object.values(set.files).flat(), normal, nodes);
  console.log('Room for the netcheck pods beside the running ones (two servers and one client per node):');
  for (const r of room.nodes) console.log(`  ${r.ok ? 'ok  ' : 'FULL'}  ${r.node.padEnd(12)} servers: ${r.servers.join(', ').padEnd(10)} needs ${L.humanMemory(r.need)} of ${L.humanMemory(Math.max(0, r.free))} free`);
  for (const p of room.problems) console.log(`  problem: ${p}`);
  fs.mkdirSync(out, { recursive: true });
  for (const [name, objects] of Object.entries(set.files)) {
    // YAML 1.1, as cdk8s writes dist/: kubectl reads `yes`/`on` unquoted as booleans.
    fs.writeFileSync(path.join(out, name), objects.map((o) => stringify(o, { version: '1.1', lineWidth: 0 })).join('---\n'));
  }
  fs.writeFileSync(path.join(out, 'run.sh'), L.runScript(set), { mode: 0o755 });
  const rel = shown(out);
  console.log(`
wrote ${rel}/: 00-namespace.yaml, 10-servers.yaml (${nodeNames.length * 2} iperf3 servers), 20-clients.yaml (${set.clientJobs.length} suspended client Jobs), run.sh

Run it (typically ${Math.ceil(set.clientJobs.length * (nodeNames.length - 1) * 2 * (L.TCP_SECONDS + L.UDP_SECONDS + 8) / 60)} minutes; each client Job may take at most ${set.clientDeadline} s):
  sh ${rel}/run.sh
which does, one measurement at a time:
  kubectl apply -f ${rel}/00-namespace.yaml -f ${rel}/10-servers.yaml -f ${rel}/20-clients.yaml
  kubectl -n ${set.namespace} wait --for=condition=Ready pod -l app.kubernetes.io/component=server --timeout=300s
  for each client Job: kubectl -n ${set.namespace} patch job JOB --type=merge -p '{"spec":{"suspend":false}}'
                       kubectl -n ${set.namespace} wait --for=condition=Complete job/JOB; kubectl -n ${set.namespace} logs job/JOB >> ${rel}/results.jsonl
Then:
  npm run netcheck -- report ${rel}/results.jsonl
  kubectl delete namespace ${set.namespace}      # removes everything; servers also stop on their own after ${set.serverDeadline} s`);
  return room.ok ? 0 : 1;
}
