/**
 * Config errors that teach: each names the field path, says what is wrong and how to fix it.
 */
import { z } from 'zod';
import { MastodonConfigSchema } from './schema';

/** One problem in a config file. */
export interface ConfigError {
  /** Field path, e.g. `sidekiq.processes[2].queues`; empty for the whole file. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Renders errors one per line, the way main.ts prints them. */
export function formatErrors(source: string, errors: readonly ConfigError[]): string {
  const lines = errors.map((e) => `  - ${e.path ? `${e.path}: ` : ''}${e.message}`);
  return `${source}: ${errors.length} problem${errors.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}

/** `a.b[2].c` from a zod path. */
export function pathToString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

export { didYouMean, editDistance } from '../rules/spelling';
import { didYouMean } from '../rules/spelling';

type AnySchema = z.core.$ZodType;

/** The object keys the schema allows at `path` (following the input for unions). */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[], input: unknown): string[] {
  let s: AnySchema | undefined = schema;
  let value: unknown = input;
  for (let i = 0; i <= path.length && s; ) {
    const def = s._zod.def as any;
    switch (def.type) {
      case 'optional': case 'default': case 'prefault': case 'nullable': case 'readonly': case 'catch':
        s = def.innerType; continue;
      case 'pipe':
        s = def.in; continue;
      case 'union': {
        const disc = def.discriminator as string | undefined;
        const v = value as Record<string, unknown> | undefined;
        const options = def.options as AnySchema[];
        const pick = disc && v && typeof v === 'object'
          ? options.find((o) => ((o._zod.def as any).shape?.[disc]?._zod.def.values ?? []).includes(v[disc]))
          : undefined;
        if (!pick) return [];
        s = pick; continue;
      }
      default: break;
    }
    if (i === path.length) {
      return def.type === 'object' ? Object.keys(def.shape) : [];
    }
    const key = path[i];
    if (def.type === 'object') s = def.shape[key as string];
    else if (def.type === 'array') s = def.element;
    else return [];
    value = value && typeof value === 'object' ? (value as any)[key as any] : undefined;
    i++;
  }
  return [];
}

const DEFAULT_MESSAGE = /^(Invalid discriminator|Invalid input|Too small|Too big|Unrecognized key|Invalid string|Invalid option|Invalid element|Invalid key)/;

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 37)}...` : v}'`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${v}`;
  return typeof v;
}

const OPTIONAL_WRAPPERS = ['optional', 'default', 'prefault'];
const WRAPPERS = ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'];

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (;;) {
    const def = cur._zod.def as any;
    if (WRAPPERS.includes(def.type)) cur = def.innerType;
    else if (def.type === 'pipe') cur = def.in;
    else return cur;
  }
}

/** The schema at a path (without choosing a union member). */
function schemaAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let s: AnySchema | undefined = unwrap(schema);
  for (const key of path) {
    const def = s._zod.def as any;
    if (def.type === 'object') s = def.shape[key as string];
    else if (def.type === 'array') s = def.element;
    else return undefined;
    if (!s) return undefined;
    s = unwrap(s);
  }
  return s;
}

/** `server (Sender host.)`: a field name with the first sentence of its description. */
function fieldWords(key: string, field: AnySchema): string {
  const d: string | undefined = (field as any).description ?? (unwrap(field) as any).description;
  const first = d ? d.split(/(?<=[a-z0-9)]\.)\s+(?=[A-Z])/)[0].replace(/\.$/, '') : '';
  return first ? `${key} (${first})` : key;
}

function requiredFields(obj: AnySchema, skip?: string): string[] {
  const shape = (obj._zod.def as any).shape as Record<string, AnySchema>;
  return Object.entries(shape)
    .filter(([k, f]) => k !== skip && !OPTIONAL_WRAPPERS.includes((f._zod.def as any).type))
    .map(([k, f]) => fieldWords(k, f));
}

function andList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * What to write for a missing section, in plain English: its required fields (with what each
 * is), or for a section with modes, each mode and the fields that go with it.
 */
export function missingSectionMessage(schema: AnySchema, path: readonly PropertyKey[]): string | undefined {
  const s = schemaAt(schema, path);
  const key = path[path.length - 1];
  if (!s || typeof key !== 'string') return undefined;
  const def = s._zod.def as any;
  const a = /^[aeiou]/i.test(key) ? 'an' : 'a';
  const tail = '; config/example.yaml shows one filled in';
  if (def.type === 'object') {
    const req = requiredFields(s);
    if (req.length === 0) return undefined;
    return `is missing; add ${a} '${key}:' section with ${andList(req)}${tail}`;
  }
  if (def.type === 'union' && def.discriminator) {
    const disc = def.discriminator as string;
    const modes = (def.options as AnySchema[]).map((o) => {
      const value = ((o._zod.def as any).shape?.[disc]?._zod.def.values ?? [])[0];
      const req = requiredFields(o, disc).map((f) => f.replace(/ \(.*$/, ''));
      return `${disc}: ${String(value)}${req.length ? ` (with ${req.join(', ')})` : ''}`;
    });
    return `is missing; add ${a} '${key}:' section with ${modes.join(' or ')}${tail}`;
  }
  return undefined;
}

function typeFix(expected: string, input: unknown): string {
  if (input === undefined || input === null) return `is required; add it (${expected === 'object' ? 'a section of key: value lines' : expected === 'array' ? 'a list' : `a ${expected}`})`;
  if (expected === 'number' && typeof input === 'string' && /^[0-9.]+$/.test(input)) {
    return `expected a number, got ${describeValue(input)}; write ${input} without quotes`;
  }
  if (expected === 'string' && typeof input === 'number') {
    return `expected a string, got ${describeValue(input)}; put it in quotes: '${input}'`;
  }
  const word = expected === 'object' ? 'mapping' : expected === 'array' ? 'list' : expected;
  const a = /^[aeiou]/.test(word) ? 'an' : 'a';
  return `expected ${a} ${word}${expected === 'object' ? ' (key: value lines)' : ''}, got ${describeValue(input)}; change it to ${a} ${word}`;
}

/** `'x' is not allowed; use one of 'a', 'b' (did you mean 'a'?)`. */
function notOneOf(value: unknown, options: readonly string[]): string {
  const guess = typeof value === 'string' ? didYouMean(value, options) : undefined;
  return `${describeValue(value)} is not allowed; use one of ${options.map((o) => `'${o}'`).join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}`;
}

/** Converts zod issues into path + message + fix. `raw` is the parsed input, for suggestions. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, schema: AnySchema = MastodonConfigSchema): ConfigError[] {
  const out: ConfigError[] = [];
  for (const issue of issues) {
    const path = pathToString(issue.path);
    const custom = !DEFAULT_MESSAGE.test(issue.message);
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, issue.path, raw);
        for (const key of issue.keys) {
          const guess = didYouMean(key, known);
          const keyPath = path ? `${path}.${key}` : key;
          out.push({
            path: keyPath,
            message: guess
              ? `unknown key '${key}'; did you mean '${guess}'?`
              : `unknown key '${key}'; remove it${known.length ? ` (allowed here: ${known.join(', ')})` : ''}`,
          });
        }
        break;
      }
      case 'invalid_type':
        out.push({
          path,
          message: custom && input !== undefined ? issue.message
            : (input === undefined && missingSectionMessage(schema, issue.path)) || typeFix(issue.expected, input),
        });
        break;
      case 'invalid_value':
        out.push({ path, message: notOneOf(input, issue.values.map(String)) });
        break;
      case 'invalid_union': {
        // A discriminated union names its allowed values in the message ('internal' | 'external').
        const options = [...issue.message.matchAll(/'([^']+)'/g)].map((m) => m[1]);
        const value = issue.path.reduce<any>((v, k) => (v && typeof v === 'object' ? v[k as any] : undefined), raw);
        out.push({
          path,
          message: custom ? issue.message
            : options.length > 0 ? notOneOf(value, options)
              : 'does not match any allowed shape; check the mode field and the keys that go with it',
        });
        break;
      }
      case 'too_small':
        out.push({
          path,
          message: custom ? issue.message
            : issue.origin === 'array' ? `must list at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}; add ${Number(issue.minimum) === 1 ? 'one' : 'more'}`
              : issue.origin === 'string' ? (Number(issue.minimum) <= 1 ? 'must not be empty; fill it in' : `must be at least ${issue.minimum} characters long`)
                : `must be at least ${issue.minimum}, got ${describeValue(input)}; raise it to ${issue.minimum} or more`,
        });
        break;
      case 'too_big':
        out.push({
          path,
          message: custom ? issue.message
            : issue.origin === 'string' ? `must be at most ${issue.maximum} characters long; shorten it`
              : issue.origin === 'array' ? `must list at most ${issue.maximum} items; remove some`
                : `must be at most ${issue.maximum}, got ${describeValue(input)}; lower it`,
        });
        break;
      default:
        out.push({ path, message: custom ? issue.message : `${issue.message}; see config/schema.json for the allowed values` });
    }
  }
  return out;
}
