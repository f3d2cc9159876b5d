#!/usr/bin/env node
// virtkit: the command-line face of the library. Parses, dispatches, and maps every outcome to
// an exit code: 0 ok, 1 the operation failed, 2 usage error, 130 interrupted (SIGINT).
import { VirtkitError } from '../index.js';
import { parse, peekGlobals, splitCommand } from './args.js';
import { makeContext, type Command } from './context.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
import { Output, table } from './output.js';
import { packageVersion } from './version.js';
import { sealCommand } from './commands/seal.js';
import { templateConvert, templateCreate, templateImport, templateDelete, templateList, templateRecover, templateShow } from './commands/template.js';
import { deployCommand } from './commands/deploy.js';
import { clonesCommand, flattenCommand, removeCommand } from './commands/clones.js';

const COMMANDS: Command[] = [sealCommand, templateCreate, templateImport, templateConvert, templateList, templateShow, templateDelete, templateRecover, deployCommand, clonesCommand, flattenCommand, removeCommand];
const GROUPS = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!));

const GLOBAL_HELP = `Global options:
  -c, --connect URI         libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///session)
  --json                    print the result as JSON on stdout (errors as JSON on stderr)
  -q, --quiet               print nothing but errors
  --debug                   print stack traces with errors
  -h, --help                show help
  -V, --version             print the version`;

function mainHelp(): string {
  const rows = COMMANDS.map((c) => ['  ' + c.name, c.summary]);
  return `Usage: virtkit [global options] COMMAND [ARGS]

Templates, in-process sealing and clones over libvirt and libguestfs.

Commands:
${table(null, rows)}

${GLOBAL_HELP}

Exit codes: 0 ok, 1 operation failed, 2 usage error, 130 interrupted.
'virtkit COMMAND --help' shows a command's options. Docs: docs/CLI.md`;
}

function commandHelp(c: Command): string {
  return `Usage: ${c.usage}\n\n${c.help}\n\n${GLOBAL_HELP}`;
}

function findCommand(argv: string[]): { cmd?: Command; rest: string[]; group?: string } {
  const { words } = splitCommand(argv, 1);
  const first = words[0];
  if (first === undefined) return { rest: argv };
  if (first === 'help') return findCommand(argv.filter((a) => a !== 'help').concat('--help'));
  if (GROUPS.has(first)) {
    const { words: two, rest } = splitCommand(argv, 2);
    if (two.length < 2) return { rest, group: first };
    const cmd = COMMANDS.find((c) => c.name === `${first} ${two[1]}`);
    if (!cmd) throw new UsageError(`unknown command '${first} ${two[1]}'`, first);
    return { cmd, rest };
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) throw new UsageError(`unknown command '${first}'`);
  return { cmd, rest: splitCommand(argv, 1).rest };
}

function groupHelp(group: string): string {
  const rows = COMMANDS.filter((c) => c.name.startsWith(group + ' ')).map((c) => ['  ' + c.name, c.summary]);
  return `Usage: virtkit ${group} SUBCOMMAND [ARGS]\n\nSubcommands:\n${table(null, rows)}\n\n${GLOBAL_HELP}`;
}

export async function main(argv: string[]): Promise<number> {
  const g = peekGlobals(argv);
  const out = new Output({ json: g.json, quiet: g.quiet, debug: g.debug });
  const ac = new AbortController();
  let ctx: ReturnType<typeof makeContext> | undefined;
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(EXIT_INTERRUPTED); // second ^C: do not wait for cleanup
    ctx?.progress.stop();
    out.note('virtkit: interrupting (cleaning up; press Ctrl-C again to quit at once)');
    ac.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  try {
    const { cmd, rest, group } = findCommand(argv);
    if (!cmd) {
      if (group) {
        parse(rest, {}, group);
        if (g.help) return print(groupHelp(group));
        throw new UsageError(`missing subcommand of '${group}'`, group);
      }
      parse(rest, {}, '');
      if (g.version) return print(g.json ? JSON.stringify({ version: packageVersion() }) : `virtkit ${packageVersion()}`);
      if (g.help) return print(mainHelp());
      throw new UsageError('missing command');
    }
    const { values, positionals } = parse(rest, cmd.options, cmd.name);
    if (values.help) return print(commandHelp(cmd));
    if (values.version) return print(`virtkit ${packageVersion()}`);
    ctx = makeContext(out, typeof values.connect === 'string' ? values.connect : undefined, ac.signal);
    await cmd.run(ctx, values, positionals);
    return EXIT_OK;
  } catch (e) {
    if (ac.signal.aborted) {
      out.error(new VirtkitError('ABORTED', 'interrupted'));
      return EXIT_INTERRUPTED;
    }
    out.error(e);
    return e instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    await ctx?.close().catch(() => undefined);
    process.off('SIGINT', onSigint);
  }
}

function print(text: string): number {
  process.stdout.write(text + '\n');
  return EXIT_OK;
}

// `virtkit … | head`: a closed stdout is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT_OK);
  throw e;
});

// Exit explicitly: libvirt's event-loop thread would otherwise keep the process alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`virtkit: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(EXIT_FAILED);
  },
);
