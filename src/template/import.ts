// Template.import: a template from a disk image (a file or any Readable), with no source VM.
// The image is streamed into the pool (Volume upload, sparse), a domain is defined from a small
// typed spec through the XML layer, the disk is sealed like Template.create's copies, made
// read-only, and the record marked ready. Every step registers its undo; a failure runs them.
import type { Readable } from 'node:stream';
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import type { StoragePool } from '../storage.js';
import { probeImage } from '../stream.js';
import type { InterfaceSpec } from '../xml/domain-create.js';
import { VirtkitError, invalid } from '../errors.js';
import { SAFE_UINT, argOptBool, argOptEnum, argOptFunction, argOptInt, argOptSignal, argOptString, argOptions, argString } from '../args.js';
import { abortError } from '../util/abort.js';
import { checkName } from '../validate.js';
import { DomainXml } from '../xml/domain.js';
import { assertSealableHere } from './local-pool.js';
import { PoolXml } from '../xml/pool.js';
import { VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml, type TemplateRecord } from '../xml/metadata.js';
import { seal, validateSealOptions } from '../seal/index.js';
import { createdBy, writeRecord } from './record.js';
import { Undo } from './undo.js';
import { defineNew, resolvePool, setReadOnly, undefineWithNvram } from './disks.js';
import type { TemplateProgress, TemplateSealOptions } from './types.js';
import { nativeGuestfs } from '../guest/native.js';

/** The VM an imported template describes (clones inherit it). Absent fields take the defaults. */
export interface ImportDomainSpec {
  /** Memory in MiB (default 1024). */
  memoryMiB?: number;
  /** Virtual CPUs (default 1). */
  vcpus?: number;
  /** 'kvm' or 'qemu' (TCG). Default: 'kvm' when {@link Connection.kvmWorks} says so, else 'qemu'. */
  type?: 'kvm' | 'qemu';
  /** Machine type, e.g. 'q35' (default: libvirt's). */
  machine?: string;
  /** 'bios' (default) or 'efi' (libvirt picks the firmware and makes each clone's variable store). */
  firmware?: 'bios' | 'efi';
  /** NICs (default: one virtio NIC on the libvirt network 'default'; [] for none). */
  interfaces?: InterfaceSpec[];
  /** Serial port 0 logged to this file, plus a virtio console (each clone gets its own file). */
  serialLog?: string;
  /** Disk bus of the imported disk (default 'virtio', target vda). */
  bus?: 'virtio' | 'sata' | 'scsi';
}

/** Options of {@link Template.import}. */
export interface ImportTemplateOptions {
  /** The template's domain name. */
  name: string;
  /** The pool the disk is imported into (a StoragePool or a pool name). */
  pool: StoragePool | string;
  /** The image: a local file path or a Readable of the image's bytes. */
  image: string | Readable;
  /** 'qcow2' or 'raw'; a file's is read from its header (another format is refused). A Readable: default 'raw'. */
  format?: 'qcow2' | 'raw';
  /** A raw image's size in bytes, needed when `image` is a Readable (a file's size otherwise). */
  capacity?: number;
  /** The VM definition (memory, vCPUs, machine, firmware, NICs, serial console). */
  domain?: ImportDomainSpec;
  /** Sealing options, or false to skip sealing. Default: the default operations. */
  seal?: TemplateSealOptions | false;
  /** Holes of the image travel and stay as holes (default true). */
  sparse?: boolean;
  /** Progress: 'copy' with bytes while the image streams, then 'define', 'seal', 'done'. */
  onProgress?: (p: TemplateProgress) => void;
  /** Aborts the import; everything made is removed and the call rejects with `ABORTED`. */
  signal?: AbortSignal;
}

const TARGET = 'vda';

function checkDomainSpec(d: ImportDomainSpec | undefined): ImportDomainSpec {
  const o = argOptions('opts.domain', d);
  argOptInt('opts.domain.memoryMiB', o.memoryMiB, { min: 1, max: 2 ** 32 });
  argOptInt('opts.domain.vcpus', o.vcpus, { min: 1, max: 4096 });
  argOptEnum('opts.domain.type', o.type, ['kvm', 'qemu'] as const);
  argOptString('opts.domain.machine', o.machine, { nonEmpty: true });
  argOptEnum('opts.domain.firmware', o.firmware, ['bios', 'efi'] as const);
  argOptEnum('opts.domain.bus', o.bus, ['virtio', 'sata', 'scsi'] as const);
  argOptString('opts.domain.serialLog', o.serialLog, { nonEmpty: true });
  if (o.serialLog !== undefined && !o.serialLog.startsWith('/')) throw invalid('opts.domain.serialLog must be an absolute path', { argument: 'opts.domain.serialLog' });
  if (o.interfaces !== undefined && !Array.isArray(o.interfaces)) throw invalid('opts.domain.interfaces must be an array', { argument: 'opts.domain.interfaces' });
  return o;
}

/** Template.import: see Template.import for the contract. */
export async function importTemplate(conn: Connection, o: ImportTemplateOptions): Promise<Domain> {
  if (o === undefined) throw invalid('Template.import needs options', { argument: 'opts' });
  argOptions('opts', o);
  checkName('template', o.name, 'opts.name');
  const image = o.image;
  if (typeof image === 'string') argString('opts.image', image, { nonEmpty: true });
  else if (image === null || typeof image !== 'object' || typeof (image as Readable).pipe !== 'function')
    throw invalid('opts.image must be a file path or a Readable', { argument: 'opts.image' });
  argOptEnum('opts.format', o.format, ['qcow2', 'raw'] as const);
  argOptInt('opts.capacity', o.capacity, { min: 1, max: SAFE_UINT.max });
  if (typeof image !== 'string' && (o.format ?? 'raw') === 'raw' && o.capacity === undefined)
    throw invalid('opts.capacity is required for a raw image read from a stream', { argument: 'opts.capacity' });
  const spec = checkDomainSpec(o.domain);
  argOptBool('opts.sparse', o.sparse);
  argOptFunction('opts.onProgress', o.onProgress);
  argOptSignal('opts.signal', o.signal);
  if (o.seal !== undefined && o.seal !== false) validateSealOptions({ ...argOptions('opts.seal', o.seal), disks: [] });
  if (o.pool === undefined) throw invalid('opts.pool is required', { argument: 'opts.pool' });
  const pool = await resolvePool(conn, o.pool, 'Template.import');
  if (o.seal !== false) nativeGuestfs(); // GUESTFS_UNAVAILABLE before anything is made
  if (o.seal !== false) await assertSealableHere(conn, pool, 'Template.import');
  if (o.signal?.aborted) throw abortError(o.signal);
  if (await conn.findDomain(o.name)) throw new VirtkitError('ALREADY_EXISTS', `a domain named '${o.name}' already exists`);
  const poolDir = new PoolXml(await pool.xml()).targetPath;
  if (!poolDir) throw invalid(`pool '${pool.name}' has no target directory`);
  // The name says the format: a raw image keeps its format, in a .img volume.
  const probeFormat = typeof image === 'string' ? ((await probeImage(image).catch(() => undefined))?.format ?? o.format ?? 'raw') : (o.format ?? 'raw');
  const volName = (f: string) => `${o.name}-${TARGET}.${f === 'raw' ? 'img' : 'qcow2'}`;
  for (const f of ['qcow2', 'raw'])
    if (await pool.findVolume(volName(f))) throw new VirtkitError('ALREADY_EXISTS', `volume '${volName(f)}' already exists in pool '${pool.name}'`);
  const type = spec.type ?? ((await conn.kvmWorks().catch(() => false)) ? 'kvm' : 'qemu');
  const progress = o.onProgress;
  const undo = new Undo();
  try {
    // 1. Stream the image in (importVolume removes the volume itself when the transfer fails).
    const vol = await pool.importVolume(image, {
      name: volName(probeFormat),
      ...(o.format ? { format: o.format } : {}),
      ...(o.capacity ? { capacity: o.capacity } : {}),
      sparse: o.sparse ?? true,
      signal: o.signal,
      onProgress: (p) => progress?.({ step: 'copy', name: o.name, disk: TARGET, bytes: p.position, ...(p.total ? { total: p.total } : {}) }),
    });
    undo.push(() => vol.delete());
    const format = await vol.format();
    const path = await vol.path();

    // 2. Define the template, marked 'sealing' once its disk exists.
    const rec: TemplateRecord = {
      role: 'template',
      state: 'creating',
      version: 1,
      disks: [{ target: TARGET, path, format }],
      createdBy: createdBy(),
    };
    const dx = DomainXml.create({
      name: o.name,
      type,
      memoryMiB: spec.memoryMiB ?? 1024,
      vcpus: spec.vcpus ?? 1,
      ...(spec.machine ? { machine: spec.machine } : {}),
      disks: [{ path, format, target: TARGET, bus: spec.bus ?? 'virtio' }],
      interfaces: spec.interfaces ?? [{ network: 'default' }],
      ...(spec.serialLog ? { serialLog: spec.serialLog } : {}),
    });
    if (spec.firmware === 'efi') dx.os.element.setAttribute('firmware', 'efi');
    dx.setMetadata(VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml(rec));
    progress?.({ step: 'define', name: o.name });
    const tpl = await defineNew(conn, dx.toString(), o.name, dx.uuid!);
    undo.push(() => undefineWithNvram(conn, tpl));

    // 3. Seal, make the disk read-only, mark ready.
    if (o.signal?.aborted) throw abortError(o.signal);
    await writeRecord(tpl, { ...rec, state: 'sealing' });
    const report =
      o.seal === false
        ? undefined
        : await seal({
            ...(o.seal ?? {}),
            disks: [{ path, format }],
            signal: o.signal,
            onProgress: (p) => progress?.({ step: 'seal', name: o.name, ...(p.operation ? { operation: p.operation } : {}), steps: { done: p.done, total: p.total } }),
          });
    await setReadOnly([path], true);
    undo.push(() => setReadOnly([path], false));
    await writeRecord(tpl, {
      ...rec,
      state: 'ready',
      ...(report ? { sealedAt: new Date().toISOString() } : {}),
      operations: report ? report.operations.map((op) => op.name) : [],
      ...(report?.cloudInit ? { cloudInit: true } : {}),
    });
    undo.clear();
    progress?.({ step: 'done', name: o.name });
    return tpl;
  } catch (e) {
    await undo.run();
    throw e;
  }
}
