// What every command gets: output, progress, the abort signal wired to SIGINT, and a lazily
// opened libvirt connection (commands that only touch disk images never open one).
import { Connection } from '../index.js';
import type { Options, Values } from './args.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';

export interface Context {
  out: Output;
  progress: Progress;
  signal: AbortSignal;
  /** -c/--connect, else LIBVIRT_DEFAULT_URI, else qemu:///session (the library's default). */
  connect(): Promise<Connection>;
}

export interface Command {
  /** The command path, e.g. 'template create'. */
  name: string;
  summary: string;
  /** Help text after the usage line. */
  help: string;
  usage: string;
  options: Options;
  run(ctx: Context, values: Values, positionals: string[]): Promise<void>;
}

export function makeContext(out: Output, uri: string | undefined, signal: AbortSignal): Context & { close(): Promise<void> } {
  let conn: Promise<Connection> | undefined;
  return {
    out,
    progress: new Progress(!out.o.json && !out.o.quiet),
    signal,
    connect: () => (conn ??= Connection.open(uri)),
    async close() {
      const c = await conn?.catch(() => undefined);
      await c?.close();
    },
  };
}
