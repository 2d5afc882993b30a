/**
 * Sizes, in the two grammars this project reads: Kubernetes resource quantities (`512Mi`,
 * `1.5Gi`, `1G`), parsed the way the API server reads them, and Postgres memory settings
 * (`512MB`, `1GB`, `64kB`), parsed the way Postgres reads a GUC. Both share the binary
 * multipliers; the suffixes differ (`Mi` against `MB`, and `M` means 10^6 to Kubernetes but is
 * refused by Postgres). Pure: no cdk8s imports.
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

/**
 * Postgres memory units and their multipliers: `B`, `kB`, `MB`, `GB`, `TB`, powers of 1024,
 * case-sensitive (postgres/postgres src/backend/utils/misc/guc.c `memory_unit_conversion_table`;
 * the docs' "Parameter Names and Values").
 */
const PG_MEMORY_UNITS: Record<string, number> = { B: 1, kB: BINARY.Ki, MB: BINARY.Mi, GB: BINARY.Gi, TB: BINARY.Ti };

/** The number at the start of a GUC value the way guc.c `parse_int` reads it: strtol with base 0 (hex `0x`, octal `0`), or strtod when a `.` or exponent follows. */
function pgNumber(text: string): { value: number; rest: string } | undefined {
  const int = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (int && !/^[.eE]/.test(text.slice(int[0].length))) {
    const digits = int[2];
    const magnitude = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits[0] === '0' ? parseInt(digits, 8) : Number(digits);
    return { value: int[1] === '-' ? -magnitude : magnitude, rest: text.slice(int[0].length) };
  }
  const float = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?/.exec(text);
  return float ? { value: Number(float[0]), rest: text.slice(float[0].length) } : undefined;
}

/** Rounds half to even, as C's rint() does in the default rounding mode. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * A Postgres memory setting in its base unit (`baseBytes`: 1 for bytes, 1024 for kB-based
 * settings, 2^20 for MB-based ones such as max_wal_size), as guc.c `parse_int` reads it: leading
 * and trailing blanks, a blank between number and unit, hex and octal integers, decimals and
 * exponents (a fraction rounded half to even to the next smaller unit, then to the base unit:
 * 0.001TB is 1GB), a case-sensitive unit; undefined
 * when Postgres would refuse it. Range checks are the setting's own and not done here. Checked
 * against Debian's postgres 15 (`postgres -C max_slot_wal_keep_size -c ...`): 1.5GB → 1536,
 * `2 GB` → 2048, 0x10 → 16, 010 → 8, 1e1GB → 10240, 1073741824B → 1024, 1.5 → 2, 10B → 0,
 * -1 → -1, 0.001TB → 1024; 1gb and 1Kb refused (test/integration/pg-units.itest.ts runs every case).
 */
export function parsePgMemory(v: string, baseBytes: number): number | undefined {
  const n = pgNumber(v.replace(/^\s+/, ''));
  if (!n) return undefined;
  const unit = n.rest.trim();
  if (unit === '') return rint(n.value);
  const factor = PG_MEMORY_UNITS[unit];
  if (factor === undefined) return undefined;
  // guc.c convert_to_base_unit: a fraction is first rounded to the next smaller unit
  // ("30.1GB" is 30822MB; the docs' "Numeric with Unit"), then to the base unit.
  const next = factor / 1024;
  const bytes = factor > 1 ? rint((n.value * factor) / next) * next : n.value * factor;
  return rint(bytes / baseBytes);
}

/** A Postgres size setting whose base unit is MB (`512MB`, `1GB`, `2048`), in MB; -1 stays -1; undefined when Postgres would refuse it. */
export function parsePgSizeMB(v: string): number | undefined {
  return parsePgMemory(v, BINARY.Mi);
}
