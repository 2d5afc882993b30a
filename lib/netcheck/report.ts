/**
 * The report: the matrices as text and as an SVG heat map, and the diagnosis. Pure.
 */
import { Cell, Diagnosis } from './diagnose';
import { PATH_KINDS, PathKind } from './types';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The text of one cell: throughput, retransmits, UDP loss. */
export function cellText(c: Cell | undefined): string {
  if (!c?.tcp && !c?.udp) return 'no data';
  if (c.tcp?.error) return 'no answer';
  const parts: string[] = [];
  if (c.tcp?.bitsPerSecond !== undefined) parts.push(`${(c.tcp.bitsPerSecond / 1e6).toFixed(c.tcp.bitsPerSecond < 1e7 ? 1 : 0)} Mb/s`);
  if (c.tcp?.retransmits !== undefined) parts.push(`r${c.tcp.retransmits}`);
  if (c.udp?.lostPercent !== undefined) parts.push(`${c.udp.lostPercent.toFixed(1)}% loss`);
  return parts.join(' ');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** The four matrices and the findings, as printed by `npm run netcheck -- report`. */
export function formatReport(d: Diagnosis): string {
  const out: string[] = [];
  for (const k of PATH_KINDS) {
    out.push(`${k}  (rows: from, columns: to; TCP throughput, retransmits, UDP loss)`);
    const rows = [['', ...d.nodes], ...d.nodes.map((a) => [a, ...d.nodes.map((b) => (a === b ? '—' : cellText(d.matrices[k].get(a)?.get(b))))])];
    out.push(table(rows), '');
  }
  out.push('Diagnosis:');
  for (const f of d.findings) out.push(`  - ${f.message}`);
  return out.join('\n');
}

/** Red (slow) to green (fast) on a log scale from 1 Mb/s to the fastest path measured. */
function colour(bps: number | undefined, best: number): string {
  if (bps === undefined) return '#d0d0d0';
  const x = Math.max(0, Math.min(1, Math.log10(Math.max(bps, 1e6) / 1e6) / Math.log10(Math.max(best, 1e7) / 1e6)));
  const hue = Math.round(120 * x);
  return `hsl(${hue}, 70%, 60%)`;
}

/** The heat map: one panel per path kind, a cell per node pair coloured by throughput. */
export function reportSvg(d: Diagnosis): string {
  const n = d.nodes.length;
  const cw = 120;
  const ch = 46;
  const label = 110;
  const panelW = label + n * cw + 30;
  const panelH = 40 + ch + n * ch + 20;
  const cols = 2;
  const width = panelW * cols + 20;
  const findingsH = 30 + d.findings.reduce((h, f) => h + 20 + 15 * (wrap(`${f.kind}: ${f.message}`, 200).length - 1), 0);
  const height = 50 + panelH * 2 + findingsH;
  const all = PATH_KINDS.flatMap((k) => d.nodes.flatMap((a) => d.nodes.map((b) => d.matrices[k].get(a)?.get(b)?.tcp?.bitsPerSecond ?? 0)));
  const best = Math.max(1e7, ...all);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="20" y="30" font-size="18" font-weight="bold">netcheck: TCP throughput per path kind (rows from, columns to)</text>`);
  PATH_KINDS.forEach((k: PathKind, i) => {
    const ox = 10 + (i % cols) * panelW;
    const oy = 50 + Math.floor(i / cols) * panelH;
    parts.push(`<text x="${ox + 10}" y="${oy + 22}" font-size="15" font-weight="bold">${esc(k)}</text>`);
    d.nodes.forEach((b, j) => parts.push(`<text x="${ox + label + j * cw + cw / 2}" y="${oy + 40 + ch / 2}" font-size="12" text-anchor="middle">${esc(b)}</text>`));
    d.nodes.forEach((a, r) => {
      const y = oy + 40 + ch + r * ch;
      parts.push(`<text x="${ox + label - 8}" y="${y + ch / 2 + 4}" font-size="12" text-anchor="end">${esc(a)}</text>`);
      d.nodes.forEach((b, j) => {
        const x = ox + label + j * cw;
        const c = d.matrices[k].get(a)?.get(b);
        const fill = a === b ? '#f4f4f4' : c?.tcp?.error ? '#7a7a7a' : colour(c?.tcp?.bitsPerSecond, best);
        parts.push(`<rect x="${x}" y="${y}" width="${cw - 4}" height="${ch - 4}" fill="${fill}" stroke="#999" stroke-width="0.5"/>`);
        if (a !== b) {
          const [first, ...rest] = cellText(c).split(' r');
          parts.push(`<text x="${x + (cw - 4) / 2}" y="${y + 18}" font-size="12" text-anchor="middle">${esc(first)}</text>`);
          if (rest.length) parts.push(`<text x="${x + (cw - 4) / 2}" y="${y + 34}" font-size="11" text-anchor="middle">${esc(`r${rest.join(' r')}`)}</text>`);
        }
      });
    });
  });
  let y = 50 + panelH * 2 + 10;
  parts.push(`<text x="20" y="${y}" font-size="14" font-weight="bold">Diagnosis</text>`);
  for (const f of d.findings) {
    wrap(`${f.kind}: ${f.message}`, 200).forEach((text, i) => {
      y += i === 0 ? 20 : 15;
      parts.push(`<text x="${i === 0 ? 20 : 32}" y="${y}" font-size="11" fill="${f.kind === 'healthy' ? '#1a7f37' : '#b42318'}">${esc(text)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Splits text into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) { lines.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
