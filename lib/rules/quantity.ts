/**
 * Kubernetes resource quantities, parsed the way the API server reads them.
 * Pure: no cdk8s imports.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { '': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18, 'm': 1e-3 };

/** A memory quantity such as `700Mi`, `1Gi`, `1.5Gi`, `512M` or `1073741824`. */
export const MEMORY_PATTERN = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
/** A CPU quantity such as `250m`, `1` or `0.5`. */
export const CPU_PATTERN = /^([0-9]+(\.[0-9]+)?)(m)?$/;

/** Parses a memory quantity to bytes; throws on a malformed value. */
export function parseMemory(q: string): number {
  const m = MEMORY_PATTERN.exec(q);
  if (!m) {
    throw new Error(`'${q}' is not a memory quantity; write it like 512Mi or 1.5Gi`);
  }
  const unit = m[3] ?? '';
  const factor = BINARY[unit] ?? DECIMAL[unit];
  return Math.round(Number(m[1]) * factor);
}

/** Parses a CPU quantity to millicores; throws on a malformed value. */
export function parseCpu(q: string): number {
  const m = CPU_PATTERN.exec(q);
  if (!m) {
    throw new Error(`'${q}' is not a CPU quantity; write it like 250m or 1.5`);
  }
  return Math.round(m[3] === 'm' ? Number(m[1]) : Number(m[1]) * 1000);
}

/** Formats bytes as the shortest exact binary quantity (`768Mi`, `2Gi`), for messages and objects. */
export function formatMemory(bytes: number): string {
  for (const unit of ['Gi', 'Mi', 'Ki']) {
    const f = BINARY[unit];
    if (bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return String(bytes);
}

/** Formats bytes for people: `1.2Gi`, `640Mi`. */
export function humanMemory(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1).replace(/\.0$/, '')}Gi`;
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}
