// virtkit template create|convert|list|show|delete|recover
import { Template, type Connection, type TemplateSealOptions } from '../../index.js';
import { flag, positionals, positiveInt, str, type Values } from '../args.js';
import type { Command, Context } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../output.js';
import { SEAL_HELP, SEAL_OPTIONS, hasSealFlags, sealOptionsFrom } from '../seal-flags.js';
import { cloneJson, templateJson, templateProgress, type TemplateJson } from '../describe.js';

function sealChoice(v: Values, helpFor: string): TemplateSealOptions | false {
  if (!flag(v, 'no-seal')) return sealOptionsFrom(v, helpFor);
  if (hasSealFlags(v)) throw new UsageError('--no-seal cannot be combined with sealing flags', helpFor);
  return false;
}

function progress(ctx: Context) {
  return (p: Parameters<typeof templateProgress>[0]) => {
    const { label, fraction } = templateProgress(p);
    ctx.progress.update(label, fraction);
  };
}

function describe(t: TemplateJson, extra: string[][] = []): string {
  return table(null, [
    ['Name:', t.name],
    ['UUID:', t.uuid],
    ['State:', t.state],
    ['Version:', String(t.version)],
    ['Sealed:', t.sealedAt ?? '-'],
    ['Operations:', t.operations.join(', ') || 'none (not sealed)'],
    ['Origin:', t.origin ? t.origin.name : '-'],
    ...t.disks.map((d, i) => [i === 0 ? 'Disks:' : '', `${d.target}  ${d.path} (${d.format})`]),
    ...extra,
  ]);
}

const SEAL_CHOICE = { ...SEAL_OPTIONS, 'no-seal': { type: 'boolean' } } as const;

export const templateCreate: Command = {
  name: 'template create',
  summary: 'make a template from a shut-off VM (its disks are copied, the VM is untouched)',
  usage: 'virtkit template create NAME --from DOMAIN --pool POOL [sealing flags | --no-seal]',
  help: `Copies the disks of DOMAIN into POOL, seals the copies and defines the template NAME
(marked in its libvirt metadata, disks read-only). On failure everything made is removed.

  --from DOMAIN             the source VM (must be shut off; never modified)
  --pool POOL               the storage pool for the template's disks
  --no-seal                 skip sealing (clones would share the source's identity)

${SEAL_HELP}`,
  options: { from: { type: 'string' }, pool: { type: 'string' }, ...SEAL_CHOICE },
  async run(ctx, v, pos) {
    const [name] = positionals(pos, ['NAME'], this.name);
    const from = str(v, 'from');
    const pool = str(v, 'pool');
    if (!from) throw new UsageError('missing --from DOMAIN', this.name);
    if (!pool) throw new UsageError('missing --pool POOL', this.name);
    const sealOpts = sealChoice(v, this.name);
    const conn = await ctx.connect();
    const t = await Template.create(conn, { name: name!, from: await conn.domain(from), pool, seal: sealOpts, onProgress: progress(ctx), signal: ctx.signal }).finally(() =>
      ctx.progress.stop(),
    );
    const j = templateJson(t);
    ctx.out.result(j, () => `Template '${t.name}' is ${t.state}.\n${describe(j)}`);
  },
};

export const templateImport: Command = {
  name: 'template import',
  summary: 'make a template from a disk image file (qcow2 or raw), no source VM needed',
  usage: 'virtkit template import FILE --name NAME --pool POOL [--memory MiB] [--vcpus N] [sealing flags | --no-seal]',
  help: `Streams the image FILE into POOL (holes stay holes), defines the template NAME from a small
VM spec, seals the disk and marks the template ready (disk read-only). On failure everything
made is removed.

  --name NAME               the template's domain name
  --pool POOL               the storage pool for the template's disk
  --format qcow2|raw        the image format (default: read from the file's header)
  --memory MiB              memory of the VM (default 1024)
  --vcpus N                 virtual CPUs (default 1)
  --machine TYPE            machine type, e.g. q35 (default: libvirt's)
  --firmware bios|efi       firmware (default bios)
  --network NET             libvirt network of its NIC (default 'default'; 'none' for no NIC)
  --type kvm|qemu           domain type (default: kvm when KVM works here, else qemu)
  --no-seal                 skip sealing (clones would share the image's identity)

${SEAL_HELP}`,
  options: {
    name: { type: 'string' }, pool: { type: 'string' }, format: { type: 'string' }, memory: { type: 'string' },
    vcpus: { type: 'string' }, machine: { type: 'string' }, firmware: { type: 'string' }, network: { type: 'string' },
    type: { type: 'string' }, ...SEAL_CHOICE,
  },
  async run(ctx, v, pos) {
    const [file] = positionals(pos, ['FILE'], this.name);
    const name = str(v, 'name');
    const pool = str(v, 'pool');
    if (!name) throw new UsageError('missing --name NAME', this.name);
    if (!pool) throw new UsageError('missing --pool POOL', this.name);
    const oneOf = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
      const s = str(v, key);
      if (s !== undefined && !(allowed as readonly string[]).includes(s)) throw new UsageError(`--${key} takes ${allowed.join(' or ')}, got '${s}'`, this.name);
      return s as T | undefined;
    };
    const format = oneOf('format', ['qcow2', 'raw'] as const);
    const firmware = oneOf('firmware', ['bios', 'efi'] as const);
    const type = oneOf('type', ['kvm', 'qemu'] as const);
    const memoryMiB = positiveInt(v, 'memory', this.name);
    const vcpus = positiveInt(v, 'vcpus', this.name);
    const network = str(v, 'network');
    const sealOpts = sealChoice(v, this.name);
    const conn = await ctx.connect();
    const t = await Template.import(conn, {
      name,
      pool,
      image: file!,
      ...(format ? { format } : {}),
      seal: sealOpts,
      domain: {
        ...(memoryMiB ? { memoryMiB } : {}),
        ...(vcpus ? { vcpus } : {}),
        ...(str(v, 'machine') ? { machine: str(v, 'machine') } : {}),
        ...(firmware ? { firmware } : {}),
        ...(type ? { type } : {}),
        ...(network ? { interfaces: network === 'none' ? [] : [{ network }] } : {}),
      },
      onProgress: progress(ctx),
      signal: ctx.signal,
    }).finally(() => ctx.progress.stop());
    const j = templateJson(t);
    ctx.out.result(j, () => `Template '${t.name}' is ${t.state}.\n${describe(j)}`);
  },
};

export const templateConvert: Command = {
  name: 'template convert',
  summary: 'turn a shut-off VM itself into a template (sealed in place)',
  usage: 'virtkit template convert DOMAIN [sealing flags | --no-seal]',
  help: `Seals the VM's own disks and marks it a template (Proxmox's "Convert to template").
The VM can no longer be started; deploy clones from it instead.

  --no-seal                 mark it a template without sealing

${SEAL_HELP}`,
  options: SEAL_CHOICE,
  async run(ctx, v, pos) {
    const [domain] = positionals(pos, ['DOMAIN'], this.name);
    const sealOpts = sealChoice(v, this.name);
    const conn = await ctx.connect();
    const t = await Template.convert(conn, await conn.domain(domain!), { seal: sealOpts, onProgress: progress(ctx), signal: ctx.signal }).finally(() =>
      ctx.progress.stop(),
    );
    const j = templateJson(t);
    ctx.out.result(j, () => `Template '${t.name}' is ${t.state}.\n${describe(j)}`);
  },
};

export const templateList: Command = {
  name: 'template list',
  summary: 'list the templates on the connection',
  usage: 'virtkit template list',
  help: 'Lists every virtkit template, in any state (creating, sealing, ready, broken).',
  options: {},
  async run(ctx, _v, pos) {
    positionals(pos, [], this.name);
    const list = (await Template.list(await ctx.connect())).map(templateJson);
    ctx.out.result(list, () =>
      list.length === 0
        ? 'No templates.'
        : table(['NAME', 'STATE', 'VERSION', 'SEALED', 'DISKS'], list.map((t) => [t.name, t.state, String(t.version), t.sealedAt ?? '-', String(t.disks.length)])),
    );
  },
};

export const templateShow: Command = {
  name: 'template show',
  summary: "show a template's record and clones",
  usage: 'virtkit template show NAME',
  help: 'Shows the state, version, seal operations, origin, disks and clones of a template.',
  options: {},
  async run(ctx, _v, pos) {
    const [name] = positionals(pos, ['NAME'], this.name);
    const t = await Template.get(await ctx.connect(), name!);
    const clones = await Promise.all((await t.clones()).map(cloneJson));
    const j = { ...templateJson(t), clones: clones.map((c) => ({ name: c.name, uuid: c.uuid, state: c.state })) };
    ctx.out.result(j, () => describe(j, [['Clones:', clones.map((c) => c.name).join(', ') || '-']]));
  },
};

export const templateDelete: Command = {
  name: 'template delete',
  summary: 'delete a template and its disks (refused while clones exist)',
  usage: 'virtkit template delete NAME',
  help: `Undefines the template and deletes its disk volumes. Refused with TEMPLATE_IN_USE while
clones exist, and with BACKING_IN_USE while any overlay still uses its disks.`,
  options: {},
  async run(ctx, _v, pos) {
    const [name] = positionals(pos, ['NAME'], this.name);
    const t = await Template.get(await ctx.connect(), name!);
    await t.delete();
    ctx.out.result({ deleted: t.name, uuid: t.uuid }, () => `Deleted template '${t.name}'.`);
  },
};

export const templateRecover: Command = {
  name: 'template recover',
  summary: 'clean up after a crashed create/convert/deploy',
  usage: 'virtkit template recover',
  help: `Removes templates and clones left half-made by a process that died, and marks templates
converted in place whose seal was interrupted as 'broken'. Work of live processes is left alone.`,
  options: {},
  async run(ctx, _v, pos) {
    positionals(pos, [], this.name);
    const conn: Connection = await ctx.connect();
    const r = await Template.recover(conn);
    ctx.out.result(r, () => {
      const lines = [
        ...r.removed.map((n) => `removed template '${n}'`),
        ...r.markedBroken.map((n) => `marked template '${n}' broken`),
        ...r.removedClones.map((n) => `removed clone '${n}'`),
        ...r.removedSeeds.map((p) => `removed seed volume '${p}'`),
      ];
      return lines.length ? lines.join('\n') : 'Nothing to recover.';
    });
  },
};
