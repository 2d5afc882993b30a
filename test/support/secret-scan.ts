/**
 * Looks for secret values where none may be: a Secret with data, a private key, an access key,
 * or a long high-entropy literal in an env value or ConfigMap.
 */

/** Bits of entropy per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A literal that looks like a generated secret: a long run of hex or base64 characters with
 * high entropy for its alphabet (host names, URLs and lists have dots, colons or spaces).
 */
export function looksSecret(value: string): boolean {
  // snake_case words (a file or setting name) are not generated secrets.
  if (/^[a-z]+(_[a-z]+)+$/.test(value)) return false;
  if (/^[0-9a-fA-F]{32,}$/.test(value)) return entropy(value) >= 3.0;
  if (/^[A-Za-z0-9+/=_-]{24,}$/.test(value)) return entropy(value) >= 4.0;
  return false;
}

const PRIVATE_KEY = /-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----/;
const ACCESS_KEY = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

/** Offences in raw text (any file). */
export function scanText(where: string, text: string): string[] {
  const out: string[] = [];
  if (PRIVATE_KEY.test(text)) out.push(`${where}: contains a private key`);
  if (ACCESS_KEY.test(text)) out.push(`${where}: contains an access key id`);
  return out;
}

/** Offences in synthesized objects. */
export function scanObjects(where: string, objects: any[]): string[] {
  const out: string[] = [];
  const walk = (o: any, path: string) => {
    if (Array.isArray(o)) {
      o.forEach((x, i) => walk(x, `${path}[${i}]`));
      return;
    }
    if (!o || typeof o !== 'object') return;
    if (Array.isArray(o.env)) {
      for (const e of o.env) {
        if (typeof e?.value === 'string' && looksSecret(e.value)) out.push(`${where} ${path}.env ${e.name}: high-entropy literal`);
      }
    }
    for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`);
  };
  for (const obj of objects) {
    const id = `${obj.kind}/${obj.metadata?.name}`;
    if (obj.kind === 'Secret' && (obj.data || obj.stringData)) out.push(`${where} ${id}: a Secret with values`);
    if (obj.kind === 'ConfigMap') {
      for (const [k, v] of Object.entries<any>(obj.data ?? {})) {
        if (typeof v === 'string' && !v.includes('\n') && looksSecret(v)) out.push(`${where} ${id} ${k}: high-entropy literal`);
      }
    }
    walk(obj, id);
  }
  return out;
}
