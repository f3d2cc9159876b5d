// Output conventions: results on stdout (human text or one JSON document), diagnostics and
// progress on stderr, nothing but the error line when -q is given.
import { errorJson, UsageError, type ErrorJson } from './errors.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  debug: boolean;
}

export class Output {
  constructor(readonly o: OutputOptions) {}

  /** The result: JSON when --json, else `human()` (skipped with -q). */
  result(json: unknown, human: () => string): void {
    if (this.o.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
    else if (!this.o.quiet) {
      const text = human();
      if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    }
  }

  /** A note for people (stderr), never in --json or -q mode. */
  note(line: string): void {
    if (!this.o.json && !this.o.quiet) process.stderr.write(line + '\n');
  }

  /** One line for the error, then the stack with --debug. */
  error(e: unknown): ErrorJson {
    const j = errorJson(e);
    if (this.o.json) process.stderr.write(JSON.stringify({ error: j }) + '\n');
    else {
      const hint = e instanceof UsageError ? ` (see 'virtkit ${e.helpFor ? e.helpFor + ' ' : ''}--help')` : '';
      process.stderr.write(e instanceof UsageError ? `virtkit: ${j.message}${hint}\n` : `virtkit: ${j.code}: ${j.message}\n`);
    }
    if (this.o.debug && e instanceof Error && !(e instanceof UsageError)) {
      process.stderr.write(`${e.stack ?? ''}\n`);
      if (e.cause instanceof Error) process.stderr.write(`caused by: ${e.cause.stack ?? e.cause.message}\n`);
    }
    return j;
  }
}

/** A plain text table: columns padded to the widest cell, no trailing spaces. */
export function table(header: string[] | null, rows: string[][]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** 1536 -> '1.5 KiB'. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
