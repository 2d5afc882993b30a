/**
 * The plan as text (tables per node, a verdict) and as an SVG picture (one column per node,
 * stacked requested memory per pod, coloured by component, against allocatable; the normal
 * placement and every single-node loss as small multiples). Pure: no cdk8s imports.
 */
import { humanMemory } from './quantity';
import type { PlanReport } from './plan';
import type { CatchUpReport, CatchUpScenario } from './catch-up';
import { byCodeUnits } from './order';
import type { LossScenario, PlanPlacement, PlanNode, PodDemand } from './scheduler';

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 100));
const cpu = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(m % 1000 === 0 ? 0 : 2)}` : `${m}m`);
const shortId = (p: PodDemand) => p.id.replace(/^[A-Za-z]+\//, '');

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r, j) => `${r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')}${j === 0 ? `\n${w.map((n) => '-'.repeat(n)).join('  ')}` : ''}`).join('\n');
}

function nodeTable(p: PlanPlacement, nodes: readonly PlanNode[]): string {
  const out: string[] = [];
  for (const n of nodes) {
    const pods = p.byNode.get(n.name) ?? [];
    const mem = pods.reduce((a, x) => a + x.memory, 0);
    const c = pods.reduce((a, x) => a + x.cpu, 0);
    out.push(`${n.name} (${n.pool}, ${n.arch}): memory ${humanMemory(mem)} of ${humanMemory(n.allocatable.memory)} (${pct(mem, n.allocatable.memory)}%, ${humanMemory(n.allocatable.memory - mem)} free), CPU ${cpu(c)} of ${cpu(n.allocatable.cpu)} (${pct(c, n.allocatable.cpu)}%)`);
    const rows = [['  pod', 'memory', 'cpu', 'priority'], ...[...pods].sort((a, b) => b.memory - a.memory).map((x) => [`  ${shortId(x)}`, humanMemory(x.memory), cpu(x.cpu), String(x.priority)])];
    out.push(table(rows));
    out.push('');
  }
  return out.join('\n');
}

function lossLine(l: LossScenario): string {
  if (!l.controlPlaneUp) {
    const critical = Object.entries(l.critical).map(([k, ok]) => `${k} ${ok ? 'up' : 'DOWN'}`).join(', ');
    return [
      `losing ${l.lost}: CONTROL PLANE DOWN; ${critical}`,
      `  nothing is rescheduled until ${l.lost} returns: ${l.stranded.map(shortId).join(', ') || 'no movable pod was there'}`,
      ...(l.waiting.length ? [`  waits for the node (tied to its volume): ${l.waiting.map(shortId).join(', ')}`] : []),
    ].join('\n');
  }
  const critical = Object.entries(l.critical).map(([k, ok]) => `${k} ${ok ? 'up' : 'DOWN'}`).join(', ');
  const moves = l.moved.map((m) => `${shortId(m.pod)} → ${m.to}`).join(', ') || 'nothing to move';
  const slowest = Object.entries(l.failoverSeconds).sort((a, b) => b[1] - a[1]);
  const times = slowest.map(([owner, s]) => `${owner.replace(/^[A-Za-z]+\//, '')} ${s} s`).join(', ');
  return [
    `losing ${l.lost}: ${critical}`,
    `  moves: ${moves}`,
    ...(l.waiting.length ? [`  waits for the node (tied to its volume): ${l.waiting.map(shortId).join(', ')}`] : []),
    ...(l.placement.pending.length ? l.placement.pending.map((p) => `  PENDING ${shortId(p.pod)}: ${p.reason}`) : []),
    ...(times ? [`  rescheduled after: ${times} (node-monitor grace + tolerationSeconds)`] : []),
  ].join('\n');
}

/** The catch-up scenario as text: how many pods of the scalable groups fit at their maximum. */
export function formatCatchUp(c: CatchUpReport): string {
  const lines = [`Catch-up (every scalable Sidekiq group at its maximum: ${c.groups.map((g) => `${g.owner.replace('Deployment/', '')} ${g.replicas}→${g.maxReplicas}`).join(', ')}):`];
  const line = (s: CatchUpScenario) => {
    const head = `  ${s.lost ? `losing ${s.lost}` : 'whole cluster'}: ${s.placed} of ${s.total} Sidekiq pods of the scalable groups fit`;
    const waits = s.pending.length ? `; waiting: ${s.pending.map((p) => shortId(p.pod)).join(', ')}` : '';
    const blocked = s.blocked.length ? `; BLOCKED: ${s.blocked.map((p) => shortId(p.pod)).join(', ')}` : '';
    return `${head}${waits}${blocked}`;
  };
  lines.push(line(c.whole));
  for (const l of c.losses) lines.push(line(l));
  for (const x of c.rollouts) lines.push(`  ${x.ok ? 'ok   ' : 'STALL'} rolling out ${x.owner.replace('Deployment/', '')} meanwhile${x.reason ? `: ${x.reason}` : ''}`);
  return lines.join('\n');
}

/** The report as text. */
export function formatPlan(r: PlanReport): string {
  const lines: string[] = [];
  lines.push(`Nodes (allocatable = capacity − system reserve):`);
  lines.push(table([['  node', 'pool', 'arch', 'k3s', 'memory', 'cpu'], ...r.nodes.map((n) => [`  ${n.name}`, n.pool, n.arch, n.role ?? '-', `${humanMemory(n.allocatable.memory)} of ${humanMemory(n.capacity.memory)}`, `${cpu(n.allocatable.cpu)} of ${cpu(n.capacity.cpu)}`])]));
  if (r.controlPlane) {
    lines.push('', `Control plane: ${r.controlPlane.summary}.`);
    if (r.controlPlane.datastore) lines.push(`  Each server also reserves the control plane's memory and CPU (k3s resource profiling, ${r.controlPlane.datastore}).`);
    if (r.controlPlane.singlePoints.length && r.controlPlaneLossAccepted) lines.push(`  Accepted (k3s.acceptControlPlaneLoss): losing ${r.controlPlane.singlePoints.join(' or ')} stops all rescheduling until it returns.`);
  } else {
    lines.push('', 'Control plane: unknown (no node has role: server); the losses below assume the Kubernetes API stays up.');
  }
  lines.push('', 'Placement:', '', nodeTable(r.normal, r.nodes));
  for (const p of r.normal.pending) lines.push(`PENDING ${shortId(p.pod)}: ${p.reason}`);
  lines.push('Single node losses:');
  for (const l of r.losses) lines.push(lossLine(l));
  lines.push('', 'Rollout room (one surge pod per Deployment):');
  for (const x of r.rollouts) lines.push(`  ${x.ok ? 'ok   ' : 'STALL'} ${x.owner.replace('Deployment/', '')}${x.reason ? `: ${x.reason}` : ''}`);
  lines.push('', 'Job room (one run of each Job and CronJob beside the running pods):');
  for (const x of r.jobs) lines.push(`  ${x.ok ? 'ok   ' : 'WAIT '} ${x.owner}${x.reason ? `: ${x.reason}` : ''}`);
  if (r.restarts.length) {
    lines.push('', 'Scheduled restarts (the surge pod and the kubectl pod, at the time each runs):');
    for (const x of r.restarts) lines.push(`  ${x.ok ? 'ok   ' : 'WAIT '} ${x.owner}${x.reason ? `: ${x.reason}` : ''}`);
  }
  if (r.catchUp) lines.push('', formatCatchUp(r.catchUp));
  lines.push('');
  const cpDown = r.losses.filter((l) => !l.controlPlaneUp).map((l) => l.lost);
  lines.push(r.ok
    ? (cpDown.length
      ? `Verdict: fits, and every rollout and job has room; survives the loss of ${r.nodes.filter((n) => !cpDown.includes(n.name)).map((n) => n.name).join(', ') || 'no node'}; losing ${cpDown.join(' or ')} stops the control plane (accepted).`
      : `Verdict: fits, survives the loss of any one node (${r.nodes.map((n) => n.name).join(', ')}), and every rollout and job has room.`)
    : `Verdict: NOT OK:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  return lines.join('\n');
}

/** Colours by component. */
export const COMPONENT_COLOURS: Readonly<Record<string, string>> = {
  web: '#6364ff', streaming: '#8c8dff', sidekiq: '#f5a524', database: '#2f855a', pooler: '#68d391',
  redis: '#e53e3e', tunnel: '#f38020', maintenance: '#a0aec0', other: '#718096',
};
const colour = (c: string) => COMPONENT_COLOURS[c] ?? COMPONENT_COLOURS.other;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(title: string, p: PlanPlacement, nodes: readonly PlanNode[], x0: number, y0: number, w: number, h: number, scale: number, lost?: string): string {
  const parts: string[] = [`<text x="${x0}" y="${y0 + 14}" font-size="13" font-weight="bold">${esc(title)}</text>`];
  const colW = w / nodes.length;
  const barW = Math.min(46, colW - 14);
  const base = y0 + h - 30;
  nodes.forEach((n, i) => {
    const cx = x0 + i * colW + (colW - barW) / 2;
    const allocH = n.allocatable.memory * scale;
    const gone = n.name === lost;
    parts.push(`<rect x="${cx}" y="${base - allocH}" width="${barW}" height="${allocH}" fill="${gone ? '#fde8e8' : '#f7fafc'}" stroke="${gone ? '#e53e3e' : '#a0aec0'}" stroke-dasharray="${gone ? '4 3' : '0'}"/>`);
    let y = base;
    for (const pod of [...(p.byNode.get(n.name) ?? [])].sort((a, b) => byCodeUnits(a.component, b.component) || b.memory - a.memory)) {
      const ph = pod.memory * scale;
      y -= ph;
      parts.push(`<rect x="${cx}" y="${y}" width="${barW}" height="${Math.max(ph, 0.5)}" fill="${colour(pod.component)}" stroke="#ffffff" stroke-width="0.5"><title>${esc(`${pod.id} ${humanMemory(pod.memory)}`)}</title></rect>`);
    }
    parts.push(`<text x="${cx + barW / 2}" y="${base + 13}" font-size="10" text-anchor="middle">${esc(n.name)}${gone ? ' (lost)' : ''}</text>`);
    const used = (p.byNode.get(n.name) ?? []).reduce((a, x) => a + x.memory, 0);
    parts.push(`<text x="${cx + barW / 2}" y="${base + 25}" font-size="9" text-anchor="middle" fill="#4a5568">${esc(`${n.arch} ${n.pool}`)}</text>`);
    parts.push(`<text x="${cx + barW / 2}" y="${base - allocH - 4}" font-size="9" text-anchor="middle" fill="#4a5568">${esc(gone ? '' : `${humanMemory(used)} / ${humanMemory(n.allocatable.memory)}`)}</text>`);
  });
  if (p.pending.length) parts.push(`<text x="${x0}" y="${y0 + 28}" font-size="10" fill="#c53030">${esc(`${p.pending.length} pending`)}</text>`);
  return parts.join('\n');
}

/** The picture, as SVG. */
export function planSvg(r: PlanReport): string {
  const maxMem = Math.max(...r.nodes.map((n) => n.allocatable.memory));
  const perRow = r.losses.length > 2 ? 2 : Math.max(1, r.losses.length);
  const smallW = Math.max(300, r.nodes.length * 80);
  const smallH = 210;
  const width = perRow * (smallW + 20) + 30;
  const bigW = width - 40;
  const bigH = 320;
  const components = [...new Set(r.pods.map((p) => p.component))].sort();
  const legendPerRow = Math.max(1, Math.floor(bigW / 110));
  const legendY = 36 + bigH + 8;
  const legendH = Math.ceil(components.length / legendPerRow) * 18;
  const rows = Math.ceil(r.losses.length / perRow);
  const height = legendY + legendH + 12 + rows * (smallH + 16) + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="24" font-size="16" font-weight="bold">Requested memory per node against allocatable${r.ok ? '' : ' (NOT OK)'}</text>`,
    panel('Normal placement', r.normal, r.nodes, 20, 36, bigW, bigH, (bigH - 60) / maxMem),
  ];
  components.forEach((c, i) => {
    const x = 20 + (i % legendPerRow) * 110;
    const y = legendY + Math.floor(i / legendPerRow) * 18;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${colour(c)}"/><text x="${x + 16}" y="${y + 10}" font-size="11">${esc(c)}</text>`);
  });
  r.losses.forEach((l, i) => {
    const x = 20 + (i % perRow) * (smallW + 20);
    const y = legendY + legendH + 12 + Math.floor(i / perRow) * (smallH + 16);
    const down = Object.entries(l.critical).filter(([, ok]) => !ok).map(([k]) => k);
    const out = [...(l.controlPlaneUp ? [] : ['control plane']), ...down];
    const title = `Without ${l.lost}${out.length ? ` (${out.join(', ')} DOWN)` : ''}`;
    parts.push(panel(title, l.placement, r.nodes, x, y, smallW, smallH, (smallH - 60) / maxMem, l.lost));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
