// Command-line parsing on node:util parseArgs: global flags may appear anywhere, the command
// words come first among the positionals, and every parse failure becomes a UsageError.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export const GLOBAL_OPTIONS = {
  connect: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Options;

export interface Globals {
  connect?: string;
  json: boolean;
  debug: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
}

/** Best-effort read of the global flags (used before the command is known, and for errors). */
export function peekGlobals(argv: string[]): Globals {
  const { values } = parseArgs({ args: argv, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true });
  const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    connect: s(values.connect), json: values.json === true, debug: values.debug === true,
    quiet: values.quiet === true, help: values.help === true, version: values.version === true,
  };
}

/**
 * The first `n` positional words (the command path) and argv without them. Values of the
 * global -c/--connect are skipped; any other flag is assumed to come after the command.
 */
export function splitCommand(argv: string[], n: number): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (words.length < n && (a === '-c' || a === '--connect')) {
      rest.push(a);
      if (i + 1 < argv.length) rest.push(argv[++i]!);
    } else if (words.length < n && !a.startsWith('-')) words.push(a);
    else rest.push(a);
  }
  return { words, rest };
}

/** Strict parse of a command's arguments (its options plus the global ones). */
export function parse(argv: string[], options: Options, helpFor: string): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, strict: true, allowPositionals: true });
    return { values: values as Values, positionals };
  } catch (e) {
    throw new UsageError(parseMessage(e as Error & { code?: string }), helpFor);
  }
}

function parseMessage(e: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted ?? '?'}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '-c, --connect <value>' argument missing" / "Option '--json' does not take an argument"
      const flag = quoted?.replace(/ <value>$/, '').split(', ').pop() ?? 'option';
      return e.message.includes('missing') ? `option '${flag}' needs a value` : `option '${flag}' takes no value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted ?? '?'}'`;
    default:
      return e.message.split('\n')[0]!;
  }
}

/** Exactly the named positionals, else a usage error naming the first missing or extra one. */
export function positionals(got: string[], names: string[], helpFor: string): string[] {
  if (got.length < names.length) throw new UsageError(`missing ${names[got.length]}`, helpFor);
  if (got.length > names.length) throw new UsageError(`unexpected argument '${got[names.length]}'`, helpFor);
  return got;
}

export function str(v: Values, key: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : undefined;
}
export function list(v: Values, key: string): string[] {
  const x = v[key];
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : typeof x === 'string' ? [x] : [];
}
export function flag(v: Values, key: string): boolean {
  return v[key] === true;
}
export function positiveInt(v: Values, key: string, helpFor: string): number | undefined {
  const s = str(v, key);
  if (s === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UsageError(`--${key} takes a positive integer, got '${s}'`, helpFor);
  return Number(s);
}
