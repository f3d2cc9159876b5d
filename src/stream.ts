// Volume upload and download over libvirt streams (virStorageVolUpload/Download), with holes
// kept as holes (sparse streams), progress in bytes, an optional SHA-256 of the logical content,
// and an AbortSignal. The policy lives here; native/stream.cc only moves bytes.
//
// Files are moved by one native job (native reads/writes the fd, SEEK_DATA/SEEK_HOLE for holes);
// Node streams go chunk by chunk, one native job per chunk of up to 1 MiB. Every failure path
// aborts the libvirt stream (virStreamAbort) before the promise settles.
import { createHash, type Hash } from 'node:crypto';
import { open, stat, unlink } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NativeStorageVol, NativeVolStream } from './native.js';
import { native } from './native.js';
import type { Core } from './core.js';
import { abortError, sleep } from './util/abort.js';
import { VirtkitError, invalid, isVirtError } from './errors.js';
import { SAFE_UINT, argOptBool, argOptFunction, argOptInt, argOptSignal, argOptions, argString } from './args.js';

/** Progress of {@link Volume.upload} / {@link Volume.download}. */
export interface TransferProgress {
  /** Data bytes moved so far (holes excluded). */
  bytes: number;
  /** Logical position in the content (data and holes). */
  position: number;
  /** Logical size expected, when known (a source file's size, or `length`). */
  total?: number;
}

/** Options of {@link Volume.upload} and {@link Volume.download}. */
export interface TransferOptions {
  /**
   * Holes travel as holes (VIR_STORAGE_VOL_{UPLOAD,DOWNLOAD}_SPARSE_STREAM): a file's holes are
   * found with SEEK_DATA/SEEK_HOLE, a Readable's all-zero 64 KiB blocks are sent as holes, and a
   * downloaded file gets holes where the volume has them (a Writable receives zeroes). Default false.
   */
  sparse?: boolean;
  /** Byte offset in the volume where the transfer starts (default 0). */
  offset?: number;
  /** Bytes of the volume to transfer (default 0: up to the end). */
  length?: number;
  /** Upload from a file path only: where in the file reading starts (default 0), e.g. to resume a copy at the same offset in file and volume. */
  sourceOffset?: number;
  /** Aborts the transfer: the stream is aborted in the daemon and the call rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Called at most every 100 ms while bytes move, and once at the end. A callback that throws aborts the transfer, which rejects with that error. */
  onProgress?: (p: TransferProgress) => void;
  /** Computes the SHA-256 of the logical content (holes read as zeroes) while streaming. */
  sha256?: boolean;
  /**
   * Download into a file path only: also the SHA-256 of each piece of this many bytes (at least 1 MiB) of the
   * content (the last one may be shorter), as `sha256Segments`; e.g. to check a copy made in
   * ranged pieces piece by piece.
   */
  sha256Segment?: number;
}

/** What a transfer resolves with. */
export interface TransferResult {
  /** Data bytes moved (holes excluded). */
  bytes: number;
  /** Logical bytes of content (data and holes). */
  size: number;
  /** Hex SHA-256 of the logical content, when `sha256: true`. */
  sha256?: string;
  /** Hex SHA-256 of each `sha256Segment` bytes of the content, in order, when that option is given. */
  sha256Segments?: string[];
}

const UPLOAD_SPARSE = 1; // VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM
const DOWNLOAD_SPARSE = 1; // VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM
const CHUNK = 1 << 20;
const BLOCK = 64 << 10;
const ZEROS = Buffer.alloc(CHUNK);
const PROGRESS_MS = 100;
const SEGMENT_RANGE = { min: 1 << 20, max: Number.MAX_SAFE_INTEGER };

interface Checked {
  sparse: boolean;
  offset: number;
  length: number;
  sourceOffset: number;
  signal?: AbortSignal;
  onProgress?: (p: TransferProgress) => void;
  sha256: boolean;
  sha256Segment: number;
}

/** `fromFile`: an upload from a file path, the one transfer `sourceOffset` applies to. */
function checkOptions(opts: TransferOptions | undefined, fromFile: boolean, toFile = false): Checked {
  const o = argOptions('opts', opts);
  if (!fromFile && o.sourceOffset) throw invalid('opts.sourceOffset applies to an upload from a file path only', { argument: 'opts.sourceOffset' });
  // A floor keeps the digest list bounded (1 per MiB: 100 GiB gives 102,400 of them).
  const segment = argOptInt('opts.sha256Segment', o.sha256Segment, SEGMENT_RANGE) ?? 0;
  if (segment && !toFile) throw invalid('opts.sha256Segment applies to a download into a file path only', { argument: 'opts.sha256Segment' });
  return {
    sparse: argOptBool('opts.sparse', o.sparse) ?? false,
    offset: argOptInt('opts.offset', o.offset, SAFE_UINT) ?? 0,
    length: argOptInt('opts.length', o.length, SAFE_UINT) ?? 0,
    sourceOffset: argOptInt('opts.sourceOffset', o.sourceOffset, SAFE_UINT) ?? 0,
    signal: argOptSignal('opts.signal', o.signal),
    onProgress: argOptFunction<(p: TransferProgress) => void>('opts.onProgress', o.onProgress),
    sha256: argOptBool('opts.sha256', o.sha256) ?? false,
    sha256Segment: segment,
  };
}

/** Turns the native transfer rejections into typed errors. */
function transferError(e: unknown, o: Checked): Error {
  const n = e as { native?: string; errno?: number; syscall?: string; path?: string; message?: string };
  if (o.signal?.aborted) return abortError(o.signal);
  if (n && n.native === 'cancelled') return new VirtkitError('ABORTED', 'the transfer was aborted', { cause: e });
  if (n && n.native === 'io')
    return new VirtkitError('IO_ERROR', n.message ?? 'I/O error', { cause: e, details: { errno: n.errno, syscall: n.syscall, path: n.path } });
  return e as Error;
}

class Progress {
  #last = 0;
  /** The first error a callback threw from a native progress message (it aborts the transfer). */
  failure?: { error: unknown };
  constructor(
    private readonly fn: ((p: TransferProgress) => void) | undefined,
    private readonly total: number | undefined,
  ) {}
  /** For native progress messages: a throwing callback cancels the transfer instead of escaping. */
  guarded(vs: NativeVolStream): (bytes: number, position: number) => void {
    return (bytes, position) => {
      if (this.failure) return;
      try {
        this.report(bytes, position);
      } catch (error) {
        this.failure = { error };
        vs.cancel();
      }
    };
  }
  report(bytes: number, position: number, final = false): void {
    if (!this.fn) return;
    const now = performance.now();
    if (!final && now - this.#last < PROGRESS_MS) return;
    this.#last = now;
    this.fn(this.total === undefined ? { bytes, position } : { bytes, position, total: this.total });
  }
}

/**
 * Runs `body` with an open stream: the open call, the abort wiring, and virStreamAbort on every
 * failure path (the native side aborts too; abort() is idempotent).
 */
async function withStream<T>(
  core: Core,
  vol: NativeStorageVol,
  upload: boolean,
  o: Checked,
  body: (vs: NativeVolStream, aborted: () => boolean) => Promise<T>,
): Promise<T> {
  if (o.signal?.aborted) throw abortError(o.signal);
  const vs = new (native().VolStream)();
  const flags = o.sparse ? (upload ? UPLOAD_SPARSE : DOWNLOAD_SPARSE) : 0;
  await openStream(core, () => (upload ? vol.upload(vs, o.offset, o.length, flags) : vol.download(vs, o.offset, o.length, flags)), o.signal);
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    vs.cancel();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await body(vs, () => aborted);
  } catch (e) {
    // Tell the daemon now (the native side already did for its own failures).
    await core.call(() => vs.abort(), { timeoutMs: core.callTimeoutMs || 60_000 }).catch(() => undefined);
    throw transferError(e, o);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    delete vs._onprogress;
  }
}

/**
 * libvirt marks a volume in use while it sets a transfer up (storageVolUpload/Download), and
 * refuses a second one opened in that instant ("volume '...' is still in use"): transfers of
 * ranges of one volume side by side retry the open for a short while. The message is in the
 * daemon's locale, so any VIR_ERR_OPERATION_INVALID is retried, for 2 s at most (the window is
 * as long as one open call); a lasting one (an inactive pool) comes out after that.
 */
async function openStream(core: Core, open: () => Promise<unknown>, signal?: AbortSignal): Promise<void> {
  for (let delay = 2, waited = 0; ; waited += delay, delay = Math.min(delay * 2, 100)) {
    try {
      await core.call(open);
      return;
    } catch (e) {
      if (!isVirtError(e, 'VIR_ERR_OPERATION_INVALID') || waited > 2_000) throw e;
      await sleep(delay, signal);
    }
  }
}

function isReadable(v: unknown): v is Readable {
  return v instanceof Readable || (v !== null && typeof v === 'object' && typeof (v as Readable).pipe === 'function' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function');
}
function isWritable(v: unknown): v is Writable {
  return v instanceof Writable || (v !== null && typeof v === 'object' && typeof (v as Writable).write === 'function' && typeof (v as Writable).end === 'function');
}

/** @internal Volume.upload. */
export async function uploadVolume(core: Core, vol: NativeStorageVol, source: string | Readable, opts?: TransferOptions): Promise<TransferResult> {
  if (typeof source !== 'string' && !isReadable(source))
    throw invalid('source must be a file path or a Readable', { argument: 'source' });
  if (typeof source === 'string') argString('source', source, { nonEmpty: true });
  const o = checkOptions(opts, typeof source === 'string');
  core.assertOpen();
  if (o.signal?.aborted) throw abortError(o.signal);
  if (typeof source === 'string') {
    const st = await stat(source).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT'
        ? new VirtkitError('NOT_FOUND', `source file '${source}' does not exist`, { cause: e, details: { path: source } })
        : new VirtkitError('IO_ERROR', `cannot stat '${source}': ${e.message}`, { cause: e, details: { path: source } });
    });
    if (!st.isFile() && !st.isBlockDevice()) throw invalid(`source '${source}' is not a regular file or a block device`, { argument: 'source' });
    if (o.sourceOffset && st.isFile() && o.sourceOffset > st.size)
      throw invalid(`opts.sourceOffset ${o.sourceOffset} is past the end of '${source}' (${st.size} bytes)`, { argument: 'opts.sourceOffset' });
    const rest = st.size - o.sourceOffset;
    const total = st.isFile() ? (o.length ? Math.min(o.length, rest) : rest) : undefined;
    const progress = new Progress(o.onProgress, total);
    const r = await withStream(core, vol, true, o, async (vs) => {
      vs._onprogress = progress.guarded(vs);
      return core.call(() => vs.sendFile(source, o.sparse, o.sha256, o.length, o.sourceOffset), { long: true }).catch((e: unknown) => {
        throw progress.failure ? progress.failure.error : e;
      });
    });
    progress.report(r.bytes, r.position, true);
    return result(r.bytes, r.position, r.sha256);
  }
  const progress = new Progress(o.onProgress, o.length || undefined);
  return withStream(core, vol, true, o, async (vs, aborted) => {
    const hash = o.sha256 ? createHash('sha256') : undefined;
    let bytes = 0;
    let position = 0;
    // Zero runs are merged across chunks and sent as one hole before the next data (or the end).
    let hole = 0;
    let holeSent = false;
    const sendHole = async () => {
      if (!hole) return;
      let len = hole;
      hole = 0;
      // libvirtd writes the first hole of a stream out as zeroes (see native/stream.cc InData).
      if (!holeSent && len > 1) {
        await core.call(() => vs.sendHole(1), { long: true });
        len -= 1;
      }
      holeSent = true;
      await core.call(() => vs.sendHole(len), { long: true });
    };
    const flush = async (buf: Buffer) => {
      hash?.update(buf);
      if (!o.sparse) {
        await core.call(() => vs.send(buf), { long: true });
        bytes += buf.length;
        position += buf.length;
        return;
      }
      // Runs of all-zero 64 KiB blocks go as holes.
      let i = 0;
      while (i < buf.length) {
        const zero = isZero(buf, i);
        let j = Math.min(i + BLOCK, buf.length);
        while (j < buf.length && isZero(buf, j) === zero) j = Math.min(j + BLOCK, buf.length);
        const len = j - i;
        if (zero) hole += len;
        else {
          await sendHole();
          const part = buf.subarray(i, j);
          await core.call(() => vs.send(part), { long: true });
          bytes += len;
        }
        position += len;
        i = j;
      }
    };
    let pending: Buffer[] = [];
    let pendingLen = 0;
    const it = source[Symbol.asyncIterator]() as AsyncIterator<unknown>;
    let done = false;
    try {
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await it.next();
        } catch (e) {
          done = true;
          if (aborted()) throw abortError(o.signal!);
          throw new VirtkitError('IO_ERROR', `the source stream failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
        }
        if (next.done) {
          done = true;
          break;
        }
        if (aborted()) throw abortError(o.signal!);
        const chunk = next.value;
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : undefined;
        if (!b) throw invalid('the source stream must yield Buffers, Uint8Arrays or strings', { argument: 'source' });
        pending.push(b);
        pendingLen += b.length;
        if (pendingLen >= CHUNK) {
          const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen);
          pending = [];
          pendingLen = 0;
          for (let k = 0; k < all.length; k += CHUNK) {
            await flush(all.subarray(k, Math.min(k + CHUNK, all.length)));
            if (aborted()) throw abortError(o.signal!);
          }
          progress.report(bytes, position);
        }
      }
    } finally {
      // Stops (and destroys) the source when the transfer ends early.
      if (!done) await it.return?.().catch(() => undefined);
    }
    if (pendingLen) await flush(Buffer.concat(pending, pendingLen));
    await sendHole();
    if (aborted()) throw abortError(o.signal!);
    await core.call(() => vs.finish());
    progress.report(bytes, position, true);
    return result(bytes, position, hash?.digest('hex'));
  });
}

/** @internal Volume.download. */
export async function downloadVolume(core: Core, vol: NativeStorageVol, dest: string | Writable, opts?: TransferOptions): Promise<TransferResult> {
  if (typeof dest !== 'string' && !isWritable(dest)) throw invalid('dest must be a file path or a Writable', { argument: 'dest' });
  if (typeof dest === 'string') argString('dest', dest, { nonEmpty: true });
  const o = checkOptions(opts, false, typeof dest === 'string');
  core.assertOpen();
  if (o.signal?.aborted) throw abortError(o.signal);
  const progress = new Progress(o.onProgress, o.length || undefined);
  if (typeof dest === 'string') {
    // Created (or truncated) before the stream opens; removed on failure only if this call made it.
    const existed = await stat(dest).then(
      (s) => {
        if (s.isDirectory()) throw invalid(`dest '${dest}' is a directory`, { argument: 'dest' });
        return true;
      },
      () => false,
    );
    try {
      const fh = await open(dest, existed ? 'r+' : 'w', 0o644);
      try {
        if ((await fh.stat()).isFile()) await fh.truncate(0);
      } finally {
        await fh.close();
      }
    } catch (e) {
      if (e instanceof VirtkitError) throw e;
      throw new VirtkitError('IO_ERROR', `cannot create '${dest}': ${(e as Error).message}`, { cause: e, details: { path: dest } });
    }
    try {
      const r = await withStream(core, vol, false, o, async (vs) => {
        vs._onprogress = progress.guarded(vs);
        return core.call(() => vs.recvFile(dest, o.sparse, o.sha256, o.sha256Segment || undefined), { long: true }).catch((e: unknown) => {
          throw progress.failure ? progress.failure.error : e;
        });
      });
      progress.report(r.bytes, r.position, true);
      const out = result(r.bytes, r.position, r.sha256);
      if (o.sha256Segment) {
        if (!r.segments) throw new VirtkitError('IO_ERROR', 'the segment digests could not be computed (out of memory?)');
        out.sha256Segments = r.segments;
      }
      return out;
    } catch (e) {
      if (!existed) await unlink(dest).catch(() => undefined);
      throw e;
    }
  }
  return withStream(core, vol, false, o, async (vs, aborted) => {
    const hash: Hash | undefined = o.sha256 ? createHash('sha256') : undefined;
    let bytes = 0;
    let position = 0;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (;;) {
        if (aborted()) throw abortError(o.signal!);
        const r = await core.call(() => vs.recv(CHUNK, o.sparse), { long: true });
        if (r === null) return;
        if (typeof r === 'number') {
          // A Writable has no holes: the hole's zeroes.
          for (let left = r; left > 0; ) {
            const z = ZEROS.subarray(0, Math.min(left, CHUNK));
            hash?.update(z);
            left -= z.length;
            position += z.length;
            yield z;
          }
        } else {
          hash?.update(r);
          bytes += r.length;
          position += r.length;
          yield r;
        }
        progress.report(bytes, position);
      }
    }
    await pipeline(chunks, dest);
    if (aborted()) throw abortError(o.signal!);
    await core.call(() => vs.finish());
    progress.report(bytes, position, true);
    return result(bytes, position, hash?.digest('hex'));
  });
}

function isZero(buf: Buffer, at: number): boolean {
  const end = Math.min(at + BLOCK, buf.length);
  return buf.subarray(at, end).equals(ZEROS.subarray(0, end - at));
}

function result(bytes: number, size: number, sha256?: string): TransferResult {
  return sha256 === undefined ? { bytes, size } : { bytes, size, sha256 };
}

/** What {@link probeImage} finds in an image file's header. */
export interface ImageProbe {
  /** 'qcow2' or 'raw', or the name of a format virtkit does not import ('vmdk', 'vdi', ...). */
  format: string;
  /** Virtual size in bytes (a raw file: its size). */
  capacity: number;
  /** A qcow2 image's backing file name, when it has one. */
  backing?: string;
}

/** @internal The format, virtual size and backing file of a local image (headers only). */
export async function probeImage(path: string): Promise<ImageProbe> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    const h = Buffer.alloc(512);
    const { bytesRead } = await fh.read(h, 0, 512, 0);
    const head = h.subarray(0, bytesRead);
    const ascii = (at: number, s: string) => head.length >= at + s.length && head.toString('latin1', at, at + s.length) === s;
    if (head.length >= 32 && head.readUInt32BE(0) === 0x514649fb) {
      const version = head.readUInt32BE(4);
      if (version !== 2 && version !== 3) return { format: 'qcow', capacity: 0 };
      const capacity = Number(head.readBigUInt64BE(24));
      const backingOffset = Number(head.readBigUInt64BE(8));
      const backingSize = head.readUInt32BE(16);
      let backing: string | undefined;
      if (backingOffset && backingSize) {
        const b = Buffer.alloc(Math.min(backingSize, 4096));
        const r = await fh.read(b, 0, b.length, backingOffset);
        backing = b.subarray(0, r.bytesRead).toString('utf8');
      }
      return backing === undefined ? { format: 'qcow2', capacity } : { format: 'qcow2', capacity, backing };
    }
    if (ascii(0, 'KDMV') || ascii(0, '# Disk DescriptorFile')) return { format: 'vmdk', capacity: 0 };
    if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f) return { format: 'vdi', capacity: 0 };
    if (ascii(0, 'vhdxfile')) return { format: 'vhdx', capacity: 0 };
    if (ascii(0, 'conectix')) return { format: 'vpc', capacity: 0 };
    if (ascii(0, 'QED\0')) return { format: 'qed', capacity: 0 };
    if (ascii(0, 'WithoutFreeSpace') || ascii(0, 'WithouFreSpacExt')) return { format: 'parallels', capacity: 0 };
    return { format: 'raw', capacity: st.isBlockDevice() ? 0 : st.size };
  } finally {
    await fh.close();
  }
}
