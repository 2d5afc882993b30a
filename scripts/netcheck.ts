/**
 * npm run netcheck [-- --out DIR]            writes the four-way iperf3 matrix manifests and run.sh
 * npm run netcheck -- report FILE [--out DIR] reads the collected logs: matrices, diagnosis, heat map
 * npm run netcheck -- restarts               prints the commands that restart every workload (after BBR)
 * The config is MASTODON_CONFIG or the bundled example.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Resvg } from '@resvg/resvg-js';
import { stringify } from 'yaml';
import { formatErrors, loadConfigFile, nodesFromInventory } from '../lib';
import { netcheckRoom } from '../lib/netcheck/plan';
import { humanMemory } from '../lib/rules/quantity';
import { parseArgsOrExit, usageError } from '../cli/args';
import { DEFAULT_CONFIG_FILE } from './paths';
import { diagnose } from '../lib/netcheck/diagnose';
import { formatReport, reportSvg } from '../lib/netcheck/report';
import { IMAGES } from '../lib/rules/images';
import { netcheckManifests, runScript } from '../lib/netcheck/manifests';
import { parseResults } from '../lib/netcheck/parse';
import { placePods, podsFromObjects } from '../lib/rules/scheduler';
import { TCP_SECONDS, UDP_SECONDS } from '../lib/netcheck/script';
import { renderManifests, renderNodeTuning } from '../lib/app/render';
import { restartCommands } from '../lib/rules/node-tuning';

const USAGE = `usage: npm run netcheck [-- --out DIR]              the iperf3 matrix manifests and run.sh (default: netcheck/)
       npm run netcheck -- report FILE [--out DIR]  the matrices, diagnosis and heat map of the collected logs
       npm run netcheck -- restarts                 the commands that restart every workload
  --out DIR   where to write (report: default beside FILE)
  -h, --help  print this help
The config is MASTODON_CONFIG, else config/example.yaml.`;
const { values, positionals: args } = parseArgsOrExit(USAGE, { allowPositionals: true, options: { out: { type: 'string' } } });
const maxArgs = args[0] === 'report' ? 2 : args[0] === 'restarts' ? 1 : 0;
if (args.length > maxArgs) usageError(USAGE, args.length === 1 ? `Unknown command '${args[0]}'` : `Unexpected argument '${args[maxArgs]}'`);
const file = process.env.MASTODON_CONFIG || DEFAULT_CONFIG_FILE;
const loaded = loadConfigFile(file);
if (!loaded.ok) {
  process.stderr.write(`${formatErrors(file, loaded.errors)}\n`);
  process.exit(1);
}
const config = loaded.config;
const nodeNames = config.nodes.inventory.map((n) => n.name);
const backend = config.k3s?.flannelBackend ?? 'vxlan';
const chartObjects = () => [...renderManifests(config), ...renderNodeTuning(config)];

function restarts(): string {
  return [
    'Pods keep the congestion control their network namespace started with: restart the workloads once',
    'the node-tuning DaemonSet is Ready on every node (kubectl -n ' + (config.nodeTuning.namespace ?? `${config.name}-node-tuning`) + ' get ds):',
    ...restartCommands(chartObjects(), { except: `${config.name}-node-tuning` }).map((c) => `  ${c}`),
    'and the cluster\'s own (CoreDNS, Traefik, ...): kubectl get pods -A, then restart what predates the DaemonSet.',
  ].join('\n');
}

if (args[0] === 'report') {
  const input = args[1];
  if (!input || !fs.existsSync(input)) {
    usageError(USAGE, `netcheck report: ${input ? `${input} does not exist` : 'name the collected log'}; run it as npm run netcheck -- report netcheck/results.jsonl`);
  }
  const d = diagnose(parseResults(fs.readFileSync(input, 'utf8')), { nodes: nodeNames, backend });
  console.log(formatReport(d));
  if (d.recommendsBbr) console.log(`\n${restarts()}`);
  const out = path.resolve(values.out ?? path.dirname(input));
  fs.mkdirSync(out, { recursive: true });
  const svg = reportSvg(d);
  fs.writeFileSync(path.join(out, 'netcheck.svg'), svg);
  fs.writeFileSync(path.join(out, 'netcheck.png'), new Resvg(svg, { background: '#ffffff', fitTo: { mode: 'width', value: 1400 } }).render().asPng());
  console.log(`\nwrote ${path.relative(process.cwd(), path.join(out, 'netcheck.svg'))} and netcheck.png`);
  process.exitCode = d.healthy ? 0 : 1;
} else if (args[0] === 'restarts') {
  console.log(restarts());
} else {
  const out = path.resolve(values.out ?? 'netcheck');
  const set = netcheckManifests({ nodes: nodeNames, image: IMAGES.netcheck, backend });
  // Room beside the running pods: one server per node per network, and one client at a time.
  const nodes = nodesFromInventory(config.nodes.inventory, config.nodes.poolLabel, config.nodes.reserve);
  const normal = placePods(podsFromObjects(chartObjects()), nodes);
  const room = netcheckRoom(Object.values(set.files).flat(), normal, nodes);
  console.log('Room for the netcheck pods beside the running ones (two servers and one client per node):');
  for (const r of room.nodes) console.log(`  ${r.ok ? 'ok  ' : 'FULL'}  ${r.node.padEnd(12)} servers: ${r.servers.join(', ').padEnd(10)} needs ${humanMemory(r.need)} of ${humanMemory(Math.max(0, r.free))} free`);
  for (const p of room.problems) console.log(`  problem: ${p}`);
  fs.mkdirSync(out, { recursive: true });
  for (const [name, objects] of Object.entries(set.files)) {
    // YAML 1.1, as cdk8s writes dist/: kubectl reads `yes`/`on` unquoted as booleans.
    fs.writeFileSync(path.join(out, name), objects.map((o) => stringify(o, { version: '1.1', lineWidth: 0 })).join('---\n'));
  }
  fs.writeFileSync(path.join(out, 'run.sh'), runScript(set), { mode: 0o755 });
  const rel = path.relative(process.cwd(), out) || '.';
  console.log(`
wrote ${rel}/: 00-namespace.yaml, 10-servers.yaml (${nodeNames.length * 2} iperf3 servers), 20-clients.yaml (${set.clientJobs.length} suspended client Jobs), run.sh

Run it (typically ${Math.ceil(set.clientJobs.length * (nodeNames.length - 1) * 2 * (TCP_SECONDS + UDP_SECONDS + 8) / 60)} minutes; each client Job may take at most ${set.clientDeadline} s):
  sh ${rel}/run.sh
which does, one measurement at a time:
  kubectl apply -f ${rel}/00-namespace.yaml -f ${rel}/10-servers.yaml -f ${rel}/20-clients.yaml
  kubectl -n ${set.namespace} wait --for=condition=Ready pod -l app.kubernetes.io/component=server --timeout=300s
  for each client Job: kubectl -n ${set.namespace} patch job JOB --type=merge -p '{"spec":{"suspend":false}}'
                       kubectl -n ${set.namespace} wait --for=condition=Complete job/JOB; kubectl -n ${set.namespace} logs job/JOB >> ${rel}/results.jsonl
Then:
  npm run netcheck -- report ${rel}/results.jsonl
  kubectl delete namespace ${set.namespace}      # removes everything; servers also stop on their own after ${set.serverDeadline} s`);
  process.exitCode = room.ok ? 0 : 1;
}
