// A small YAML emitter for cloud-init's files (user-data, meta-data, network-config). Only what
// JSON can hold: objects, arrays, strings, finite numbers, booleans, null. Every string, mapping
// keys included, is written double-quoted with escapes, so no value is ever read back as another
// type ('no', 'on', '0777', '1e3', '~', '2024-01-01' stay strings), and no value can start a
// comment, an anchor, a tag or a new document. The escapes are those YAML 1.1 (PyYAML, which
// cloud-init uses) and YAML 1.2 both read; characters outside YAML's printable set are escaped.
// No dependency: the emitter is ~80 lines, and what it writes is checked against PyYAML in tests.
import { invalid } from '../errors.js';

/** A value `toYaml` can write. */
export type YamlValue = string | number | boolean | null | bigint | YamlValue[] | { [key: string]: YamlValue };

// In a 'u' regex a surrogate class matches only unpaired surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A string as a YAML double-quoted scalar. INVALID_ARGUMENT for a lone surrogate (not encodable in UTF-8). */
export function yamlString(s: string, at = 'value'): string {
  if (LONE_SURROGATE.test(s)) throw invalid(`${at} must be well-formed Unicode (it has a lone surrogate)`, { argument: at });
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += '\\x' + c.toString(16).padStart(2, '0'); // C0, DEL, C1 (U+0085 is a line break in YAML 1.1)
    else if (c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function scalar(v: unknown, at: string): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return yamlString(v, at);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number': {
      if (Number.isSafeInteger(v)) return Object.is(v, -0) ? '0' : String(v);
      const t = String(v);
      // YAML 1.1 floats need a '.' (PyYAML reads '1e-07' as a string): refuse rather than change type
      if (Number.isFinite(v) && /^-?[0-9]+\.[0-9]+$/.test(t)) return t;
      throw invalid(`${at} is a number YAML cannot carry exactly (${t}); pass it as a string`, { argument: at });
    }
    case 'object':
      return undefined;
    default:
      throw invalid(`${at} cannot be written as YAML (a ${typeof v})`, { argument: at });
  }
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function emptyText(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return typeof v === 'object' && v !== null && Object.values(v).every((x) => x === undefined) ? '{}' : undefined;
}

/** The text of a value that fits on one line (a scalar, [] or {}), or undefined for a collection with content. */
function inline(v: unknown, at: string): string | undefined {
  const s = scalar(v, at);
  if (s !== undefined) return s;
  check(v as object, at);
  return emptyText(v);
}

function check(o: object, at: string): void {
  if (!Array.isArray(o) && !isPlainObject(o)) {
    throw invalid(`${at || 'value'} cannot be written as YAML (a ${o.constructor?.name ?? 'object'}); use plain objects, arrays, strings, numbers, booleans`, { argument: at });
  }
}

/** Lines of a non-empty collection at `indent`. */
function lines(o: object, indent: string, at: string, seen: Set<object>): string[] {
  if (seen.has(o)) throw invalid(`${at || 'value'} refers to itself`, { argument: at });
  seen.add(o);
  const out: string[] = [];
  const nested = (x: object, a: string): string[] => lines(x, indent + '  ', a, seen);
  if (Array.isArray(o)) {
    o.forEach((item, i) => {
      const a = `${at}[${i}]`;
      if (item === undefined) throw invalid(`${a} is undefined`, { argument: a });
      const one = inline(item, a);
      if (one !== undefined) out.push(`${indent}- ${one}`);
      else {
        // the item's first line goes on the line of its '- ' (a compact nested collection)
        const sub = nested(item as object, a);
        sub[0] = `${indent}- ${sub[0]!.slice(indent.length + 2)}`;
        out.push(...sub);
      }
    });
  } else {
    for (const [k, x] of Object.entries(o)) {
      if (x === undefined) continue;
      const a = at === '' ? k : `${at}.${k}`;
      const key = `${indent}${yamlString(k, a)}:`;
      const one = inline(x, a);
      if (one !== undefined) out.push(`${key} ${one}`);
      else out.push(key, ...nested(x as object, a));
    }
  }
  seen.delete(o);
  return out;
}

/** Writes `value` as a YAML document (block style, two-space indents, a final newline). INVALID_ARGUMENT naming the path of a value it cannot write. */
export function toYaml(value: YamlValue | Record<string, unknown>, at = ''): string {
  const one = inline(value, at);
  return (one !== undefined ? one : lines(value as object, '', at, new Set()).join('\n')) + '\n';
}
