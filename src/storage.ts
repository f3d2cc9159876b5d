// StoragePool and Volume: pools, volumes, overlays, full copies, backing chains.
import { inspect } from 'node:util';
import { stat } from 'node:fs/promises';
import type { NativeStoragePool, NativeStorageVol } from './native.js';
import { Core } from './core.js';
import { abortError, sleep } from './util/abort.js';
import { C, poolStates } from './generated/libvirt-tables.js';
import { VirtkitError, invalid, isVirtError } from './errors.js';
import { checkName } from './validate.js';
import { SAFE_UINT, argInt, argOptBool, argOptInt, argOptEnum, argOptFunction, argOptSignal, argOptString, argOptTimeout, argOptions, argString } from './args.js';
import { VolumeXml, volumeXml } from './xml/volume.js';
import { HostObjectState } from './util/host-object.js';
import type { Readable, Writable } from 'node:stream';
import { uploadVolume, downloadVolume, probeImage, type TransferOptions, type TransferResult } from './stream.js';

/** A volume image format: 'qcow2', 'raw', or another format libvirt knows (e.g. 'vmdk'). */
export type VolumeFormat = 'qcow2' | 'raw' | (string & {});

/** What {@link StoragePool.info} returns (virStoragePoolGetInfo). Sizes are in bytes. */
export interface PoolInfo {
  /** Pool state, virStoragePoolState without the prefix, lower-case. */
  state: 'inactive' | 'building' | 'running' | 'degraded' | 'inaccessible';
  /** Logical size of the pool, in bytes. */
  capacity: number;
  /** Bytes allocated to volumes. */
  allocation: number;
  /** Free space, in bytes. */
  available: number;
}

/** Typed options of {@link StoragePool.createVolume}. Format defaults to 'qcow2' with `backing`, else 'raw'. */
export interface CreateVolumeOptions {
  /** Volume name (the file name in a dir pool). Must be a safe name (VirtkitError `INVALID_ARGUMENT` otherwise). */
  name: string;
  /** Image format. Default: 'qcow2' when `backing` is given, else 'raw'. */
  format?: VolumeFormat;
  /** Bytes. Defaults to the backing volume's capacity for an overlay. */
  capacity?: number;
  /** Bytes to allocate up front (default: sparse). */
  allocation?: number;
  /** qcow2 compat level; overlays default to '1.1'. */
  compat?: '0.10' | '1.1';
  /** Backing volume (or a path with its format) for a qcow2 overlay. */
  backing?: Volume | { path: string; format: VolumeFormat };
  /** Preallocate qcow2 metadata. */
  preallocateMetadata?: boolean;
}

/** Progress of {@link StoragePool.copyVolume}, in bytes. */
export interface CopyProgress {
  /** Bytes written to the target so far (its allocation). */
  bytes: number;
  /** Expected total: the source's allocation. */
  total: number;
}

/** Options of {@link StoragePool.copyVolume} and {@link Volume.copyTo}. */
export interface CopyOptions {
  /** Name of the new volume in the target pool. Rejected with `ALREADY_EXISTS` when taken. */
  name: string;
  /** Target format; default: the source's format. */
  format?: VolumeFormat;
  /** Called every `progressIntervalMs` while the copy runs, and once at the end with `bytes === total`. */
  onProgress?: (p: CopyProgress) => void;
  /** Aborting removes the partial copy; it takes effect once libvirt returns from the copy. */
  signal?: AbortSignal;
  /** Poll interval for progress in ms (default 250). */
  progressIntervalMs?: number;
}

/** Options of {@link StoragePool.importVolume}: the new volume, and the transfer's options. */
export interface ImportVolumeOptions extends Omit<TransferOptions, 'offset' | 'length'> {
  /** Name of the new volume. Rejected with `ALREADY_EXISTS` when taken. */
  name: string;
  /**
   * Format of the image: 'qcow2' or 'raw'. A file's format is read from its header; giving a
   * different one is refused (`FORMAT_MISMATCH`). A Readable defaults to 'raw'.
   */
  format?: 'qcow2' | 'raw';
  /**
   * Capacity in bytes for the new volume: a raw image's size (a file's size by default; needed
   * for a raw Readable). A qcow2 volume takes the virtual size written in the image.
   */
  capacity?: number;
}

/** One layer of a backing chain, as {@link Volume.backingChain} lists it. */
export interface ChainLayer {
  /** Path of the image file. */
  path: string;
  /** Image format of the layer ('raw' when libvirt reports none). */
  format: string;
}

/** A libvirt storage pool. */
export class StoragePool {
  readonly #n: NativeStoragePool;
  readonly #core: Core;
  readonly #state: HostObjectState<boolean>;
  /** @internal */
  constructor(core: Core, n: NativeStoragePool) {
    this.#core = core;
    this.#n = n;
    // the hand-written pool binding takes and gives autostart as a boolean
    this.#state = new HostObjectState(core, n, (on) => on);
  }
  /** The pool's name. */
  get name(): string {
    return this.#n.getName();
  }
  /** The pool's UUID. */
  get uuid(): string {
    return this.#n.getUUIDString();
  }
  /**
   * True when the pool is started.
   * @throws VirtkitError `CLOSED` when the connection is closed.
   */
  isActive(): Promise<boolean> {
    return this.#state.isActive();
  }
  /** True for a defined pool, false for a transient one. */
  isPersistent(): Promise<boolean> {
    return this.#state.isPersistent();
  }
  /** State, capacity, allocation and free space (bytes). */
  async info(): Promise<PoolInfo> {
    const i = await this.#core.call(() => this.#n.getInfo());
    const state = (poolStates[i.state] ?? 'VIR_STORAGE_POOL_INACTIVE').replace('VIR_STORAGE_POOL_', '').toLowerCase() as PoolInfo['state'];
    return { state, capacity: i.capacity, allocation: i.allocation, available: i.available };
  }
  /** The pool XML; `inactive`: the persistent config rather than the live one. */
  async xml(opts: { inactive?: boolean } = {}): Promise<string> {
    argOptions('opts', opts);
    argOptBool('opts.inactive', opts.inactive);
    return this.#core.call(() => this.#n.getXMLDesc(opts.inactive ? C.VIR_STORAGE_XML_INACTIVE : 0));
  }
  /** Builds the pool's backing storage (for a dir pool: creates the directory). */
  async build(opts: { overwrite?: boolean } = {}): Promise<void> {
    argOptions('opts', opts);
    argOptBool('opts.overwrite', opts.overwrite);
    return this.#core.call(() => this.#n.build(opts.overwrite ? C.VIR_STORAGE_POOL_BUILD_OVERWRITE : 0), { long: true });
  }
  /**
   * Starts (activates) a defined pool.
   * @throws VirtError `VIR_ERR_OPERATION_INVALID` when it is already active; other VirtErrors when its storage is missing (call {@link StoragePool.build} first).
   */
  start(): Promise<void> {
    return this.#core.call(() => this.#n.create(0));
  }
  /** Deactivates the pool (virStoragePoolDestroy: the data stays). */
  stop(): Promise<void> {
    return this.#core.call(() => this.#n.destroy());
  }
  /** Removes the pool's persistent definition (stop it first to make it vanish; its data stays). */
  undefine(): Promise<void> {
    return this.#core.call(() => this.#n.undefine());
  }
  /**
   * Rescans the pool's storage so that volumes created outside libvirt appear.
   * @throws VirtError `VIR_ERR_OPERATION_INVALID` when the pool is not active.
   */
  refresh(): Promise<void> {
    return this.#core.call(() => this.#n.refresh(0));
  }
  /** Deletes the pool's underlying storage (for a dir pool, the empty directory). */
  deleteStorage(): Promise<void> {
    return this.#core.call(() => this.#n.delete(0));
  }
  /** Whether the pool starts when the libvirt daemon starts. */
  autostart(): Promise<boolean> {
    return this.#state.autostart();
  }
  /** Sets whether the pool starts when the libvirt daemon starts (persistent pools only). */
  setAutostart(on: boolean): Promise<void> {
    return this.#state.setAutostart(on);
  }

  /**
   * Every volume of the (active) pool.
   * @throws VirtError `VIR_ERR_OPERATION_INVALID` when the pool is not active.
   */
  async volumes(): Promise<Volume[]> {
    const list = await this.#core.call(() => this.#n.listAllVolumes(0));
    return list.map((v) => new Volume(this.#core, v));
  }
  /** The volume called `name`; rejects with VirtError VIR_ERR_NO_STORAGE_VOL when there is none. */
  async volume(name: string): Promise<Volume> {
    checkName('volume', name, 'name');
    return new Volume(this.#core, await this.#core.call(() => this.#n.storageVolLookupByName(name)));
  }
  /** The volume called `name`, or undefined. */
  async findVolume(name: string): Promise<Volume | undefined> {
    try {
      return await this.volume(name);
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_STORAGE_VOL')) return undefined;
      throw e;
    }
  }

  /** Creates a volume from volume XML or from typed options (qcow2 overlays: `backing`). */
  async createVolume(spec: string | CreateVolumeOptions): Promise<Volume> {
    let xml: string;
    let flags = 0;
    if (typeof spec === 'string') xml = argString('spec', spec, { nonBlank: true });
    else {
      xml = await this.#volumeXmlFor(spec);
      if (spec.preallocateMetadata) flags |= C.VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA;
    }
    // Preallocation can take long: no default deadline (the scope's applies).
    return new Volume(this.#core, await this.#core.call(() => this.#n.storageVolCreateXML(xml, flags), { long: true }));
  }

  async #volumeXmlFor(spec: CreateVolumeOptions): Promise<string> {
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw invalid('createVolume takes volume XML or an options object', { argument: 'spec' });
    checkName('volume', spec.name, 'spec.name');
    argOptString('spec.format', spec.format, { nonEmpty: true });
    argOptInt('spec.capacity', spec.capacity, SAFE_UINT);
    argOptInt('spec.allocation', spec.allocation, SAFE_UINT);
    argOptEnum('spec.compat', spec.compat, ['0.10', '1.1'] as const);
    argOptBool('spec.preallocateMetadata', spec.preallocateMetadata);
    if (spec.backing !== undefined && !(spec.backing instanceof Volume)) {
      argOptions('spec.backing', spec.backing);
      argString('spec.backing.path', spec.backing.path, { nonEmpty: true });
      argString('spec.backing.format', spec.backing.format, { nonEmpty: true });
    }
    const format = spec.format ?? (spec.backing ? 'qcow2' : 'raw');
    let backing: { path: string; format: string } | undefined;
    let capacity = spec.capacity;
    if (spec.backing) {
      if (format !== 'qcow2') throw invalid(`a ${format} volume cannot have a backing store; use format 'qcow2'`);
      if (spec.backing instanceof Volume) {
        const [path, bx] = await Promise.all([spec.backing.path(), spec.backing.xml()]);
        const b = new VolumeXml(bx);
        backing = { path, format: b.format ?? 'raw' };
        capacity ??= b.capacity;
      } else {
        if (typeof spec.backing.path !== 'string' || !spec.backing.path.startsWith('/'))
          throw invalid('backing.path must be an absolute path');
        if (typeof spec.backing.format !== 'string' || !spec.backing.format) throw invalid('backing.format is required');
        backing = { path: spec.backing.path, format: spec.backing.format };
        const known = await this.#core
          .call(() => this.#core.native.storageVolLookupByPath(backing!.path))
          .catch(() => undefined);
        if (known) {
          capacity ??= new VolumeXml(await this.#core.call(() => known.getXMLDesc(0))).capacity;
        } else if (this.#core.isLocal) {
          const st = await stat(backing.path).catch(() => undefined);
          if (!st) throw new VirtkitError('NOT_FOUND', `backing file '${backing.path}' does not exist`);
        }
      }
    }
    if (capacity === undefined) throw invalid('capacity is required (bytes)');
    return volumeXml({
      name: spec.name,
      format,
      capacity,
      allocation: spec.allocation,
      compat: format === 'qcow2' ? (spec.compat ?? '1.1') : undefined,
      backing,
    });
  }

  /**
   * A new volume holding the image `source` (a local file or a Readable), streamed into the
   * pool (virStorageVolUpload; `sparse: true` keeps holes as holes). Only qcow2 and raw images
   * are taken; a qcow2 image with a backing file is refused (it would not open in the pool).
   * The volume is removed when the transfer fails or is aborted.
   * @throws VirtkitError `INVALID_ARGUMENT` (another image format, a backing file, bad options),
   *   `FORMAT_MISMATCH`, `ALREADY_EXISTS`, `NOT_FOUND`, `IO_ERROR`, `ABORTED`.
   */
  async importVolume(source: string | Readable, opts: ImportVolumeOptions): Promise<Volume> {
    argOptions('opts', opts);
    if (opts === undefined) throw invalid('importVolume needs options with a name', { argument: 'opts' });
    checkName('volume', opts.name, 'opts.name');
    argOptEnum('opts.format', opts.format, ['qcow2', 'raw'] as const);
    argOptInt('opts.capacity', opts.capacity, { min: 1, max: SAFE_UINT.max });
    if (typeof source !== 'string' && (source === null || typeof source !== 'object' || typeof (source as Readable).pipe !== 'function'))
      throw invalid('source must be a file path or a Readable', { argument: 'source' });
    const { name, format: asked, capacity: cap, ...transfer } = opts;
    if (transfer.signal?.aborted) throw abortError(transfer.signal);
    let format: 'qcow2' | 'raw' = asked ?? 'raw';
    let capacity = cap;
    if (typeof source === 'string') {
      argString('source', source, { nonEmpty: true });
      const probe = await probeImage(source).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOENT'
          ? new VirtkitError('NOT_FOUND', `image '${source}' does not exist`, { cause: e, details: { path: source } })
          : new VirtkitError('IO_ERROR', `cannot read '${source}': ${e.message}`, { cause: e, details: { path: source } });
      });
      if (probe.format !== 'qcow2' && probe.format !== 'raw')
        throw invalid(`image '${source}' is ${probe.format}: only qcow2 and raw images can be imported (convert it with qemu-img convert -O qcow2)`, { argument: 'source', format: probe.format });
      if (asked && asked !== probe.format)
        throw new VirtkitError('FORMAT_MISMATCH', `image '${source}' is ${probe.format}, not ${asked}`, { details: { path: source, format: probe.format, declared: asked } });
      if (probe.backing !== undefined)
        throw invalid(`image '${source}' has a backing file ('${probe.backing}'): flatten it first (qemu-img convert)`, { argument: 'source' });
      format = probe.format;
      if (format === 'raw') capacity ??= probe.capacity;
      else capacity = probe.capacity;
    }
    if (format === 'qcow2') capacity ??= 1 << 20; // replaced by the image's own header
    if (!capacity) throw invalid('opts.capacity is required for a raw image read from a stream', { argument: 'opts.capacity' });
    if (await this.findVolume(name)) throw new VirtkitError('ALREADY_EXISTS', `volume '${name}' already exists in pool '${this.name}'`);
    const vol = await this.createVolume({ name, format, capacity });
    try {
      await vol.upload(source, transfer);
    } catch (e) {
      await removeAfterStream(vol);
      throw e;
    }
    // libvirt refreshes the volume after the upload on a thread of its own; make it current now.
    await this.refresh().catch(() => undefined);
    return this.volume(name);
  }

  /**
   * Full copy of `source` (any pool of the same connection) into this pool as `opts.name`,
   * through virStorageVolCreateXMLFrom (libvirt runs qemu-img convert: backing chains are
   * flattened). Progress comes from the target's growing allocation.
   */
  async copyVolume(source: Volume, opts: CopyOptions): Promise<Volume> {
    if (!(source instanceof Volume)) throw invalid('copyVolume: source must be a Volume', { argument: 'source' });
    argOptions('opts', opts);
    checkName('volume', opts.name, 'opts.name');
    argOptString('opts.format', opts.format, { nonEmpty: true });
    argOptFunction('opts.onProgress', opts.onProgress);
    argOptSignal('opts.signal', opts.signal);
    argOptTimeout('opts.progressIntervalMs', opts.progressIntervalMs, 250, { min: 1 });
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const sx = new VolumeXml(await source.xml());
    const [srcInfo] = await Promise.all([source.info()]);
    const format = opts.format ?? sx.format ?? 'raw';
    const xml = volumeXml({ name: opts.name, format, capacity: sx.capacity, compat: format === 'qcow2' ? '1.1' : undefined });
    if (await this.findVolume(opts.name)) throw new VirtkitError('ALREADY_EXISTS', `volume '${opts.name}' already exists in pool '${this.name}'`);
    const total = srcInfo.allocation;
    let done = false;
    const copy = this.#core.call(() => this.#n.storageVolCreateXMLFrom(xml, source.nativeHandle, 0), { long: true });
    copy.then(() => (done = true), () => (done = true));
    const poll = (async () => {
      if (!opts.onProgress) return;
      while (!done) {
        await sleep(opts.progressIntervalMs ?? 250);
        if (done) break;
        const v = await this.findVolume(opts.name).catch(() => undefined);
        const info = v ? await v.info().catch(() => undefined) : undefined;
        if (info && !done) opts.onProgress({ bytes: Math.min(info.allocation, total), total });
      }
    })();
    const created = await copy;
    await poll;
    const vol = new Volume(this.#core, created);
    if (opts.signal?.aborted) {
      await vol.delete().catch(() => undefined);
      throw abortError(opts.signal);
    }
    opts.onProgress?.({ bytes: total, total });
    return vol;
  }

  /** Releases the native handle now instead of at garbage collection. */
  free(): void {
    this.#n.free();
  }

  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `StoragePool { name: ${inspect(this.name)} }`;
  }
}

/** A libvirt storage volume. */
export class Volume {
  readonly #n: NativeStorageVol;
  readonly #core: Core;
  #path?: string;
  /** @internal */
  constructor(core: Core, n: NativeStorageVol) {
    this.#core = core;
    this.#n = n;
  }
  /** @internal */
  get nativeHandle(): NativeStorageVol {
    this.#core.assertOpen();
    return this.#n;
  }
  /** The volume's name within its pool. */
  get name(): string {
    return this.#n.getName();
  }
  /** libvirt's key for the volume (for file volumes: the path). */
  get key(): string {
    return this.#n.getKey();
  }
  /** The volume's path on the host (cached after the first call). */
  async path(): Promise<string> {
    this.#path ??= await this.#core.call(() => this.#n.getPath());
    return this.#path;
  }
  /** Type ('file', 'block', 'dir', 'network', 'netdir', 'ploop'), `capacity` (virtual size) and `allocation` (space used on the host), in bytes. */
  async info(): Promise<{ type: string; capacity: number; allocation: number }> {
    const i = await this.#core.call(() => this.#n.getInfo());
    const types = ['file', 'block', 'dir', 'network', 'netdir', 'ploop'];
    return { type: types[i.type] ?? String(i.type), capacity: i.capacity, allocation: i.allocation };
  }
  /** The volume XML. */
  xml(): Promise<string> {
    return this.#core.call(() => this.#n.getXMLDesc(0));
  }
  /** The volume's format as libvirt reports it ('qcow2', 'raw', ...). */
  async format(): Promise<string> {
    return new VolumeXml(await this.xml()).format ?? 'raw';
  }
  /** The pool that holds this volume. */
  async pool(): Promise<StoragePool> {
    return new StoragePool(this.#core, await this.#core.call(() => this.#n.lookupPool()));
  }
  /**
   * Deletes the volume and its data. A read-only local file (a virtkit template disk) that other
   * volumes use as their backing file is refused.
   * @throws VirtkitError `BACKING_IN_USE` for such a file.
   * @throws VirtError when libvirt cannot delete it (e.g. `VIR_ERR_NO_STORAGE_VOL` when it is gone).
   */
  async delete(): Promise<void> {
    await this.#guardBacking('delete');
    await this.#core.call(() => this.#n.delete(0));
  }
  /** Overwrites the data with zeroes (libvirt's default algorithm). Guarded like delete(). */
  async wipe(): Promise<void> {
    await this.#guardBacking('wipe');
    await this.#core.call(() => this.#n.wipe(0), { long: true });
  }
  /** Sets the capacity in bytes. Shrinking needs `shrink: true`. Guarded like delete(). */
  async resize(capacity: number, opts: { allocate?: boolean; shrink?: boolean } = {}): Promise<void> {
    argInt('capacity', capacity, { min: 1, max: SAFE_UINT.max });
    argOptions('opts', opts);
    argOptBool('opts.allocate', opts.allocate);
    argOptBool('opts.shrink', opts.shrink);
    await this.#guardBacking('resize');
    const flags = (opts.allocate ? C.VIR_STORAGE_VOL_RESIZE_ALLOCATE : 0) | (opts.shrink ? C.VIR_STORAGE_VOL_RESIZE_SHRINK : 0);
    await this.#core.call(() => this.#n.resize(capacity, flags), { long: true });
  }

  /**
   * Template disks are read-only files; changing one under linked clones corrupts them all.
   * Only read-only local files are checked (scanning every pool on every delete would make
   * removing clones quadratic); the mode is read from the file, since libvirt's copy of it is
   * only as fresh as the last pool refresh.
   */
  async #guardBacking(action: string): Promise<void> {
    if (!this.#core.isLocal) return;
    const path = await this.path();
    const st = await stat(path).catch(() => undefined);
    if (!st || (st.mode & 0o222) !== 0) return;
    const users = (await volumesBackedBy(this.#core, [path])).map((u) => u.path);
    if (users.length)
      throw new VirtkitError('BACKING_IN_USE', `cannot ${action} '${path}': it backs ${users.join(', ')}`, { details: { path, users } });
  }

  /**
   * Every layer of the backing chain, this volume first: [{ path, format }, ...]. Layers are
   * followed through libvirt (each backing file must be a volume of some pool to be read;
   * the last known layer is reported even when its own backing is outside every pool).
   */
  async backingChain(): Promise<ChainLayer[]> {
    const chain: ChainLayer[] = [];
    let xml = new VolumeXml(await this.xml());
    chain.push({ path: await this.path(), format: xml.format ?? 'raw' });
    const seen = new Set(chain.map((l) => l.path));
    while (xml.backing) {
      const b = xml.backing;
      if (seen.has(b.path)) throw new VirtkitError('INVALID_ARGUMENT', `backing chain loops at '${b.path}'`);
      seen.add(b.path);
      chain.push({ path: b.path, format: b.format ?? 'raw' });
      const next = await this.#core.call(() => this.#core.native.storageVolLookupByPath(b.path)).catch(() => undefined);
      if (!next) break;
      xml = new VolumeXml(await this.#core.call(() => next.getXMLDesc(0)));
    }
    return chain;
  }

  /**
   * Writes `source` (a local file path or a Readable) into the volume through a libvirt stream
   * (virStorageVolUpload), from `opts.offset` on. The bytes land as they are: uploading a qcow2
   * file into a volume makes the volume that qcow2 image. With `sparse: true` holes travel as
   * holes and stay holes in the volume. An existing volume that fails part-way keeps what was
   * written before the failure (nothing is rolled back); the stream is always aborted in the daemon.
   * @throws VirtkitError `INVALID_ARGUMENT` (bad input), `NOT_FOUND` (no such file), `IO_ERROR`
   *   (reading the source failed; the cause is attached), `ABORTED` (the signal fired).
   * @throws VirtError when libvirt refuses (e.g. `VIR_ERR_NO_SUPPORT` on drivers without streams).
   */
  async upload(source: string | Readable, opts?: TransferOptions): Promise<TransferResult> {
    return uploadVolume(this.#core, this.#n, source, opts);
  }

  /**
   * Reads the volume (its bytes as stored: a qcow2 volume gives its qcow2 file) into `dest`, a
   * local file path (created or truncated; with `sparse: true` it gets holes where the volume has
   * them) or a Writable (ended when the transfer ends; holes arrive as zeroes). A file this call
   * created is removed when the transfer fails; an existing file is left truncated and partial.
   * @throws VirtkitError `INVALID_ARGUMENT`, `IO_ERROR`, `ABORTED`; VirtError from libvirt.
   */
  async download(dest: string | Writable, opts?: TransferOptions): Promise<TransferResult> {
    return downloadVolume(this.#core, this.#n, dest, opts);
  }

  /** Full copy of this volume into `pool` (see StoragePool.copyVolume). */
  async copyTo(pool: StoragePool, opts: CopyOptions): Promise<Volume> {
    if (!(pool instanceof StoragePool)) throw invalid('copyTo: pool must be a StoragePool', { argument: 'pool' });
    return pool.copyVolume(this, opts);
  }

  /** Releases the native handle now instead of at garbage collection. */
  free(): void {
    this.#n.free();
  }

  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `Volume { name: ${inspect(this.name)}, key: ${inspect(this.key)} }`;
  }
}

/**
 * Deletes a volume whose stream just ended: libvirt keeps it "in use" until its post-upload
 * refresh (a thread of its own) has run, so a refusal is retried for a few seconds.
 */
export async function removeAfterStream(vol: Volume): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await vol.delete();
      return;
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_STORAGE_VOL')) return;
      if (!isVirtError(e, 'VIR_ERR_OPERATION_INVALID') && !isVirtError(e, 'VIR_ERR_INTERNAL_ERROR')) return;
      await sleep(100);
    }
  }
}

/** A volume whose backing file is one of the paths asked about. */
export interface BackedVolume {
  volume: string;
  path: string;
  backing: string;
}

/**
 * @internal Every volume, in every active pool, whose backing file is one of `paths`.
 * `refresh` first rescans the pools, so overlays made outside libvirt are seen too.
 */
export async function volumesBackedBy(core: Core, paths: readonly string[], opts: { refresh?: boolean } = {}): Promise<BackedVolume[]> {
  const wanted = new Set(paths);
  const out: BackedVolume[] = [];
  for (const p of await core.call(() => core.native.listAllStoragePools(C.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE))) {
    if (opts.refresh) await core.call(() => p.refresh(0)).catch(() => undefined);
    for (const v of await core.call(() => p.listAllVolumes(0)).catch(() => [])) {
      const x = new VolumeXml(await core.call(() => v.getXMLDesc(0)).catch(() => '<volume/>'));
      if (x.backing && wanted.has(x.backing.path)) out.push({ volume: v.getName(), path: x.path ?? '', backing: x.backing.path });
    }
  }
  return out;
}
