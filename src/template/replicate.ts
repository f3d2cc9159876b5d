// tpl.replicate(): a template copied to another libvirt host over libvirt streams (sparse), with
// no shared storage and no controller: the state lives in both hosts' domain metadata.
//
// The replica is the same template (same name, UUID and MACs; only disk and NVRAM paths change),
// so clone records that name the template's UUID hold on either host. It is defined first,
// marked 'creating' with a checkpoint (`replication`: disk and offset known to be on the target),
// so an interrupted copy resumes where it stopped; it becomes 'ready' only once each disk is
// verified: read back from the target (by segment or whole) or, with verify: 'sent', the bytes sent
// hashing as the template's recorded digests. The template's record keeps, beside each disk's
// SHA-256, the SHA-256 of each SEGMENT of it (computed in the same pass), so a copy made in
// segments side by side is checked segment by segment against the record itself.
import { PassThrough, Transform } from 'node:stream';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import type { StoragePool, Volume } from '../storage.js';
import { removeAfterStream } from '../storage.js';
import { VirtkitError, invalid } from '../errors.js';
import { argOptBool, argOptFunction, argOptSignal, argOptions } from '../args.js';
import { abortError } from '../util/abort.js';
import { DomainXml } from '../xml/domain.js';
import { VolumeXml, volumeXml } from '../xml/volume.js';
import { VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml, type TemplateRecord } from '../xml/metadata.js';
import { createdBy, ownerIsGone, readRecord, writeRecord } from './record.js';
import { nvramPathOf, resolvePool, undefineWithNvram, volumeAt } from './disks.js';
import { refreshPool, sharedPoolDir } from './local-pool.js';

/** Options of {@link Template.replicate}. */
export interface ReplicateOptions {
  /** The storage pool on the target host (a dir pool there, by name or object). */
  pool: StoragePool | string;
  /** Stops the copy: the call rejects with `ABORTED`; the partial replica stays for a later resume (see keepPartial). */
  signal?: AbortSignal;
  /** Called as the replication moves; copy steps at most every 100 ms per disk. */
  onProgress?: (p: ReplicateProgress) => void;
  /**
   * What a failed or aborted copy leaves on the target. true (default): the replica, marked
   * 'creating' with a checkpoint, so that replicate() again resumes it (Template.recover on the
   * target removes it once this process is gone). false: everything made on the target is removed.
   */
  keepPartial?: boolean;
  /**
   * How the copy is checked before the replica is marked ready, against the template's recorded
   * SHA-256 digests (whole, and by 64 MiB segment). 'read-back' (default): every byte is read back
   * from the target and hashed (segment by segment, overlapping the upload, when the source file is
   * read here; whole otherwise). 'sent': the bytes read from the source and sent must hash as
   * recorded, and the target daemon's completion of each stream (virStreamFinish) is trusted for
   * the write; faster, but a target that stores bytes wrongly without reporting an error goes
   * unnoticed. A resumed copy is read back whole either way.
   */
  verify?: 'read-back' | 'sent';
}

/** Progress of {@link Template.replicate}. */
export interface ReplicateProgress {
  step: 'hash' | 'define' | 'copy' | 'verify' | 'done';
  /** Disk target name ('vda', ...) or 'nvram'. */
  disk?: string;
  /** Data bytes moved in this step so far (holes excluded). */
  bytes?: number;
  /** Absolute offset reached in the disk file. */
  position?: number;
  /** Size of the disk file. */
  total?: number;
  /** Offset a resumed copy started from. */
  resumedAt?: number;
  /** On 'done': data bytes copied in all (0 when an identical replica already existed). */
  copied?: number;
}

/** One file to move: a template disk or its UEFI variable store. */
interface Item {
  key: string;
  source: string;
  name: string;
  format: string;
  sha256?: string;
  segments?: string[];
}

// A checkpoint lags the upload by LAG: bytes libvirtd had been sent but not yet written when this
// process died are copied again. The window after a resume point is sent dense (zeroes written),
// since a sparse stream skips holes and would leave what the interrupted run wrote there.
const CHECKPOINT_EVERY = 16 << 20;
const CHECKPOINT_MS = 1000;
const LAG = 8 << 20;
const ALIGN = 1 << 20;
// Upload and read-back overlap by segment (measured: 64 MiB beat 32 and 128 on 2 cores), and
// several segments move side by side: libvirtd serves each stream with an I/O helper of its own,
// and two ranged uploads of one volume took 0.4-0.7x the time of one stream of the whole file.
const SEGMENT = 64 << 20;
const STREAMS = 3;
// onProgress: at most one copy report per disk this often (ReplicateOptions.onProgress).
const PROGRESS_MS = 100;
// A file whose allocation is at least this share of its size is sent as having no holes.
const DENSE = 0.98;

/** The view replicate() needs of the source template. */
export interface SourceView {
  domain: Domain;
  record: TemplateRecord;
  xml: string;
}

export async function replicateTemplate(conn: Connection, src: SourceView, target: Connection, opts: ReplicateOptions): Promise<Domain> {
  if (!target || typeof target !== 'object' || typeof (target as Connection).capabilities !== 'function')
    throw invalid('replicate: target must be a Connection', { argument: 'target' });
  argOptions('opts', opts);
  if (opts === undefined) throw invalid('replicate: options with a target pool are required', { argument: 'opts' });
  argOptSignal('opts.signal', opts.signal);
  argOptFunction('opts.onProgress', opts.onProgress);
  argOptBool('opts.keepPartial', opts.keepPartial);
  if (opts.verify !== undefined && opts.verify !== 'read-back' && opts.verify !== 'sent')
    throw invalid(`opts.verify must be 'read-back' or 'sent'`, { argument: 'opts.verify' });
  const sentOnly = opts.verify === 'sent';
  const signal = opts.signal;
  if (signal?.aborted) throw abortError(signal);
  const rec = src.record;
  const name = src.domain.name;
  if (rec.role !== 'template' || rec.state !== 'ready')
    throw new VirtkitError('TEMPLATE_NOT_READY', `template '${name}' is '${rec.state}': only a ready template replicates`);
  const pool = await resolvePool(target, opts.pool, 'replicate');
  const [srcHost, dstHost] = await Promise.all([hostId(conn), hostId(target)]);
  if (srcHost === dstHost)
    throw invalid(`replicate: the target is the same host as the source (host UUID ${srcHost})`, { argument: 'target' });
  const progress = opts.onProgress;

  // What to move: every template disk, and the UEFI variable store when the template has one.
  const items: Item[] = (rec.disks ?? []).map((d) => ({
    key: d.target, source: d.path, name: baseName(d.path), format: d.format, sha256: d.sha256,
    segments: d.segments?.size === SEGMENT ? d.segments.sha256 : undefined,
  }));
  const nvram = nvramPathOf(src.xml);
  if (nvram) items.push({ key: 'nvram', source: nvram, name: baseName(nvram), format: 'raw' });
  if (!items.length) throw invalid(`template '${name}' records no disks`);

  // Source digests (whole and by segment, in one pass), computed once: template disks never change.
  let recordChanged = false;
  for (const it of items) {
    if (it.sha256 && (it.segments || it.key === 'nvram')) {
      if (it.segments) await checkSegmentCount(conn, it, name);
      continue;
    }
    const v = await volumeAt(conn, it.source);
    try {
      progress?.({ step: 'hash', disk: it.key });
      const r = await v.volume.download('/dev/null', { sparse: true, sha256: true, sha256Segment: SEGMENT, signal });
      it.sha256 = r.sha256!;
      it.segments = r.sha256Segments!;
    } finally {
      await v.release();
    }
    const d = rec.disks?.find((x) => x.target === it.key);
    if (d) {
      d.sha256 = it.sha256;
      d.segments = { size: SEGMENT, sha256: it.segments };
      recordChanged = true;
    }
  }
  if (recordChanged) await writeRecord(src.domain, rec);

  // An existing domain of that name on the target: our finished replica, our interrupted one, or someone else's.
  const existing = await target.findDomain(name);
  let dst: Domain;
  let dstRec: TemplateRecord;
  let paths: Map<string, string>;
  let created = false;
  if (existing) {
    const r = await readRecord(existing).catch(() => undefined);
    if (r?.role !== 'template' || r.replicaOf?.uuid !== src.domain.uuid)
      throw new VirtkitError('ALREADY_EXISTS', `a domain named '${name}' already exists on the target and is not a replica of this template`);
    if (r.state === 'ready') {
      const same = items.filter((i) => i.key !== 'nvram').every((i) => r.disks?.find((d) => d.target === i.key)?.sha256 === i.sha256);
      if (!same) throw new VirtkitError('ALREADY_EXISTS', `the replica of '${name}' on the target holds different disk content (an older version?); delete it first`);
      await noteReplica(src.domain, target.uri, dstHost);
      progress?.({ step: 'done', copied: 0 });
      return existing;
    }
    const mine = r.createdBy?.pid === process.pid && r.createdBy.host === createdBy().host && !active.has(`${dstHost}/${name}`);
    if (r.state !== 'creating' || !r.replication || !(mine || ownerIsGone(r)))
      throw new VirtkitError('ALREADY_EXISTS', `a replica of '${name}' is '${r.state}' on the target${r.state === 'creating' ? ' and its copying process is still running' : ''}`);
    dst = existing;
    dstRec = { ...r, createdBy: createdBy() };
    paths = new Map((r.disks ?? []).map((d) => [d.target, d.path]));
    const nv = nvramPathOf(await existing.xml({ inactive: true }));
    if (nv) paths.set('nvram', nv);
    await writeRecord(dst, dstRec);
  } else {
    for (const it of items)
      if (await pool.findVolume(it.name)) throw new VirtkitError('ALREADY_EXISTS', `volume '${it.name}' already exists in pool '${pool.name}' on the target`);
    ({ dst, dstRec, paths } = await defineReplica(target, pool, src, items, { host: srcHost, uri: conn.uri }, progress));
    created = true;
  }

  let copied = 0;
  const verified = new Set<string>();
  // Wrong bytes on the target: the next run starts over (never resumes from a bad copy).
  const restart = () => writeRecord(dst, (dstRec = { ...dstRec, replication: { disk: items[0]!.key, offset: 0 } }));
  const key = `${dstHost}/${name}`;
  active.add(key);
  try {
    // Copy from the checkpoint on: items before its disk are done, the rest still to move.
    const start = dstRec.replication!;
    let at = items.findIndex((i) => i.key === start.disk);
    if (at < 0) at = 0;
    for (let i = at; i < items.length; i++) {
      if (signal?.aborted) throw abortError(signal);
      const it = items[i]!;
      const from = i === at ? start.offset : 0;
      const srcVol = await volumeAt(conn, it.source);
      try {
        const dstVol = await target.volumeByPath(paths.get(it.key)!);
        const local = it.key !== 'nvram' ? await localSource(conn, srcVol.volume, it.source) : undefined;
        const hooks: CopyHooks = {
          signal, progress, mismatch: restart,
          checkpoint: (offset) => writeRecord(dst, (dstRec = { ...dstRec, replication: { disk: it.key, offset } })),
        };
        if (local && from === 0 && it.segments) {
          // A fresh copy from a file read here, in segments: each checked against the record's
          // digest of it, read back from the target (while others move) or, 'sent', as sent.
          copied += await copyVerified(local, dstVol, it.key, hooks, name, it.segments, sentOnly ? 'sent' : 'read-back');
          verified.add(it.key);
        } else if (sentOnly && from === 0) {
          // The whole file in one stream, hashed as it is read; the record's digest must match.
          copied += await copySent(srcVol.volume, dstVol, it.key, local, it.sha256!, hooks, name);
          verified.add(it.key);
        } else copied += await copyItem(srcVol.volume, dstVol, it.key, from, local, hooks);
      } finally {
        await srcVol.release();
      }
      const next = items[i + 1];
      if (next) await writeRecord(dst, (dstRec = { ...dstRec, replication: { disk: next.key, offset: 0 } }));
    }

    // Verify: each file read back from the target equals the source (those not verified segment by segment).
    for (const it of items) {
      if (signal?.aborted) throw abortError(signal);
      if (verified.has(it.key)) continue;
      progress?.({ step: 'verify', disk: it.key });
      const v = await target.volumeByPath(paths.get(it.key)!);
      const got = await digest(v, signal);
      if (got !== it.sha256) {
        await restart();
        throw new VirtkitError('REPLICA_MISMATCH', `replica of '${name}' disk ${it.key}: SHA-256 ${got} on the target, ${it.sha256} on the source`, {
          details: { disk: it.key, source: it.sha256, target: got },
        });
      }
    }
    // The pool learns each copied file's real format (qcow2 header, virtual size) before deploys read it.
    if (copied > 0 || created) await refreshPool(pool);
    const { replication: _done, ...rest } = dstRec;
    dstRec = { ...rest, state: 'ready' };
    await writeRecord(dst, dstRec);
    await noteReplica(src.domain, target.uri, dstHost);
    progress?.({ step: 'done', copied });
    return dst;
  } catch (e) {
    if (opts.keepPartial === false) {
      await removeReplica(target, dst, [...paths.values()]).catch(() => undefined);
    } else if (created || existing) {
      if (e instanceof VirtkitError && e.details === undefined) (e as { details?: Record<string, unknown> }).details = { resumable: true, replica: name };
    }
    throw e;
  } finally {
    active.delete(key);
  }
}

/** Before anything is made: a recorded segment list that does not fit the file means the template's disk changed since it was hashed. */
async function checkSegmentCount(conn: Connection, it: Item, name: string): Promise<void> {
  const v = await volumeAt(conn, it.source);
  try {
    segmentsFit(name, it.key, await fileSize(v.volume), it.segments!.length);
  } finally {
    await v.release();
  }
}

/** A file of `size` bytes is `count` SEGMENTs long, or its disk changed since its record hashed it. */
function segmentsFit(name: string, key: string, size: number, count: number): void {
  if (Math.ceil(size / SEGMENT) !== count)
    throw new VirtkitError('IMAGE_CORRUPT', `template '${name}' disk ${key}: its file is ${size} bytes, not the ${count} segments of ${SEGMENT} its record hashed: the disk changed since`, {
      details: { disk: key, size, segments: count },
    });
}

/** Replications under way in this process (target host / name): an interrupted one of ours may be resumed, a running one not. */
const active = new Set<string>();

/** The host's UUID from its capabilities (its libvirtd host_uuid), else its hostname; asked once per connection (the capabilities XML costs ~10 ms to fetch and parse). */
function hostId(c: Connection): Promise<string> {
  let p = hostIds.get(c);
  if (!p) {
    p = c.capabilities().then(async (caps) => caps.uuid ?? (await c.hostname()));
    p.catch(() => hostIds.delete(c));
    hostIds.set(c, p);
  }
  return p;
}
const hostIds = new WeakMap<Connection, Promise<string>>();

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Creates the target volumes (read-only files: mode 0444 through the pool) and defines the replica, 'creating'. */
async function defineReplica(
  target: Connection, pool: StoragePool, src: SourceView, items: Item[], origin: { host: string; uri: string },
  progress: ReplicateOptions['onProgress'],
): Promise<{ dst: Domain; dstRec: TemplateRecord; paths: Map<string, string> }> {
  const made: Volume[] = [];
  try {
    const paths = new Map<string, string>();
    for (const it of items) {
      // A one-byte raw placeholder (libvirt wants a capacity), which libvirt makes itself (a qcow2 one costs a qemu-img it forks,
      // ~100 ms); the upload writes the real file and the pool refresh after the copy reads its format.
      // The template's disks are read-only files.
      const xml = volumeXml({ name: it.name, format: 'raw', capacity: 1, allocation: 0, mode: it.key === 'nvram' ? undefined : 0o444 });
      const v = await pool.createVolume(xml);
      made.push(v);
      paths.set(it.key, await v.path());
    }
    const rec: TemplateRecord = {
      ...src.record,
      state: 'creating',
      disks: (src.record.disks ?? []).map((d) => ({ ...d, path: paths.get(d.target)! })),
      replicaOf: { host: origin.host, uri: origin.uri, uuid: src.domain.uuid },
      replicas: undefined,
      replication: { disk: items[0]!.key, offset: 0 },
      createdBy: createdBy(),
    };
    const x = new DomainXml(src.xml);
    for (const d of x.disks) {
      const p = d.target && paths.get(d.target);
      if (p && d.target !== 'nvram') d.setSource({ type: 'file', path: p });
    }
    if (paths.has('nvram')) x.os.setNvramPath(paths.get('nvram'));
    x.setMetadata(VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml(rec));
    progress?.({ step: 'define' });
    const dst = await target.defineDomain(x.toString());
    return { dst, dstRec: rec, paths };
  } catch (e) {
    for (const v of made) await v.delete().catch(() => undefined);
    throw e;
  }
}

/**
 * Checkpoints of a copy: written one at a time, each LAG behind what was sent, at least
 * CHECKPOINT_EVERY apart and, after the first, at most one per CHECKPOINT_MS (each rewrites the
 * replica's definition on the target, which the daemon saves to disk).
 */
class Checkpoints {
  #last: number;
  #at = -Infinity;
  #saving: Promise<void> = Promise.resolve();
  constructor(private readonly write: (offset: number) => Promise<void>, from: number) {
    this.#last = from;
  }
  sent(position: number): void {
    const safe = Math.floor((position - LAG) / ALIGN) * ALIGN;
    const now = performance.now();
    if (safe - this.#last < CHECKPOINT_EVERY || now - this.#at < CHECKPOINT_MS) return;
    this.#last = safe;
    this.#at = now;
    this.#saving = this.#saving.then(() => this.write(safe)).catch(() => undefined);
  }
  /** Resolves once every checkpoint asked for is written (or failed: a lost checkpoint only costs a longer resume). */
  settled(): Promise<void> {
    return this.#saving;
  }
}

/** What a copy of one file reports to and asks of replicate(). */
interface CopyHooks {
  signal?: AbortSignal;
  progress?: ReplicateOptions['onProgress'];
  /** Records that the target holds everything before `offset`. */
  checkpoint: (offset: number) => Promise<void>;
  /** The target's bytes are wrong: the next run starts over. */
  mismatch: () => Promise<void>;
}

/** Copies one file from `from` on (source download piped into target upload), checkpointing as it goes; resolves with data bytes moved. */
async function copyItem(src: Volume, dst: Volume, key: string, resumeAt: number, local: string | undefined, o: CopyHooks): Promise<number> {
  // A source file this process reads itself goes straight from the file into the target's stream
  // (as virsh vol-upload does); otherwise the source daemon's download is piped into the upload.
  const move = (t: { offset: number; length: number; sparse: boolean }, onProgress: (bytes: number, position: number) => void) =>
    local
      ? dst.upload(local, { ...t, sourceOffset: t.offset, signal: o.signal, onProgress: (p) => onProgress(p.bytes, p.position) }).then((r) => r.bytes)
      : pipe(src, dst, { ...t, signal: o.signal }, onProgress);
  const total = await fileSize(src);
  let before = 0; // data bytes of the finished steps
  const checkpoints = new Checkpoints(o.checkpoint, resumeAt);
  const report = (pos: number, bytes: number) => {
    o.progress?.({ step: 'copy', disk: key, bytes: before + bytes, position: pos, total, resumedAt: resumeAt || undefined });
    checkpoints.sent(pos);
  };
  let from = resumeAt;
  try {
    if (from > 0 && from < total) {
      // The dense window after a resume point: overwrites whatever the interrupted run left there.
      const len = Math.min(LAG, total - from);
      const at = from;
      before += await move({ offset: at, length: len, sparse: false }, (b, p) => report(at + p, b));
      from += len;
    }
    if (from < total || total === 0) {
      const at = from;
      before += await move({ offset: at, length: 0, sparse: true }, (b, p) => report(at + p, b));
    }
  } finally {
    await checkpoints.settled();
  }
  return before;
}

/**
 * A fresh copy of a local file, SEGMENT bytes at a time, each checked against `want`, the
 * template's recorded digest of that segment: 'read-back', the segment read back from the target
 * (into /dev/null, hashed natively) once its upload has finished; 'sent', the bytes its upload read
 * and sent. Equal segments make equal files, so no whole read-back follows. Checkpoints are written
 * as copyItem's, LAG behind the end of what was sent without a gap: a resumed copy is verified whole.
 *
 * A file without holes (a qcow2 grows by appending) moves STREAMS segments side by side, all but
 * the last one dense. A sparse stream cannot go side by side: the daemon extends the file over
 * each hole with ftruncate, which cuts off what a stream further on has written already (seen as a
 * mismatch on the last segment). A file with holes therefore uploads one segment at a time, in
 * order, sparse, each read-back overlapping the next upload.
 */
async function copyVerified(path: string, dst: Volume, key: string, o: CopyHooks, name: string, want: string[], mode: 'read-back' | 'sent'): Promise<number> {
  const st = await stat(path);
  const total = st.size;
  const dense = st.blocks * 512 >= total * DENSE;
  const starts: number[] = [];
  for (let at = 0; at < total; at += SEGMENT) starts.push(at);
  segmentsFit(name, key, total, want.length); // again: the file read here, after the replica was made
  const empty = !starts.length;
  if (empty) starts.push(0); // an empty file: one empty upload
  const len = (i: number) => Math.min(SEGMENT, total - starts[i]!);
  const covered = starts.map(() => 0); // file bytes each segment's stream has passed
  const moved = starts.map(() => 0); // data bytes it sent
  // Finished: the daemon confirmed the segment's stream (progress reaches its end before that).
  const finished = starts.map(() => false);
  let verified = 0;
  const checkpoints = new Checkpoints(o.checkpoint, 0);
  // Where the target holds everything before: the segments finished, then the first one under way.
  const contiguous = () => {
    let w = 0;
    for (let i = 0; i < starts.length; i++) {
      if (!finished[i]) return w + covered[i]!;
      w += len(i);
    }
    return w;
  };
  // After a failure nothing more is reported or checkpointed (a mismatch resets the checkpoint).
  let stopped = false;
  let reported = -Infinity;
  const report = (final = false) => {
    if (stopped) return;
    const at = contiguous();
    checkpoints.sent(at);
    const now = performance.now();
    if (!final && now - reported < PROGRESS_MS) return; // one report per 100 ms per disk, across streams
    reported = now;
    o.progress?.({ step: 'copy', disk: key, bytes: moved.reduce((x, y) => x + y, 0), position: at, total });
  };
  // One failure (or the caller's abort) stops the other streams.
  const inner = new AbortController();
  const onOuter = () => inner.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onOuter, { once: true });
  let failure: { error: unknown } | undefined;
  let mismatched = false;
  let next = 0;
  // With holes: one upload at a time, in file order (a FIFO lock; read-backs are not held by it).
  let tail: Promise<void> = Promise.resolve();
  const inOrder = (): Promise<() => void> => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const prev = tail;
    tail = prev.then(() => held);
    return prev.then(() => release);
  };
  const segment = async (i: number, uploaded?: () => void) => {
    const at = starts[i]!;
    const length = len(i);
    const r = await dst.upload(path, {
      offset: at, length, sourceOffset: at, sparse: !dense || i === starts.length - 1, sha256: mode === 'sent', signal: inner.signal,
      onProgress: (p) => {
        covered[i] = p.position;
        moved[i] = p.bytes;
        report();
      },
    });
    covered[i] = length;
    moved[i] = r.bytes;
    finished[i] = true;
    report(true);
    uploaded?.();
    if (empty) return;
    if (mode === 'sent') {
      if (r.sha256 !== want[i]) {
        mismatched = true;
        throw new VirtkitError('REPLICA_MISMATCH', `replica of '${name}' disk ${key}: bytes ${at}-${at + length} sent hash to ${r.sha256}, the template records ${want[i]}`, {
          details: { disk: key, offset: at, length, source: want[i], sent: r.sha256 },
        });
      }
    } else {
      const got = await digest(dst, inner.signal, { offset: at, length });
      if (got !== want[i]) {
        mismatched = true;
        throw new VirtkitError('REPLICA_MISMATCH', `replica of '${name}' disk ${key}: bytes ${at}-${at + length} differ on the target (SHA-256 ${got}, the template records ${want[i]})`, {
          details: { disk: key, offset: at, length, source: want[i], target: got },
        });
      }
    }
    verified += length;
    o.progress?.({ step: 'verify', disk: key, position: verified, total });
  };
  const worker = async () => {
    while (!failure && next < starts.length) {
      const release = dense ? undefined : await inOrder();
      try {
        if (failure || next >= starts.length) return;
        if (o.signal?.aborted) throw abortError(o.signal);
        await segment(next++, release);
      } catch (error) {
        failure ??= { error: o.signal?.aborted ? abortError(o.signal) : error };
        stopped = true;
        inner.abort(error);
      } finally {
        release?.();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(STREAMS, starts.length) }, worker));
    if (failure) {
      // Every stream has settled and no checkpoint is pending: the reset cannot be overwritten.
      await checkpoints.settled();
      if (mismatched) await o.mismatch().catch(() => undefined);
      throw failure.error;
    }
    // Segments cover [0, total): a target file left longer (the placeholder past a tiny file) differs.
    const landed = await fileSize(dst);
    if (landed !== total) {
      await o.mismatch().catch(() => undefined);
      throw new VirtkitError('REPLICA_MISMATCH', `replica of '${name}' disk ${key}: the target file is ${landed} bytes, the source ${total}`, {
        details: { disk: key, source: total, target: landed },
      });
    }
    return moved.reduce((x, y) => x + y, 0);
  } finally {
    o.signal?.removeEventListener('abort', onOuter);
    await checkpoints.settled();
  }
}

/** verify: 'sent': one sparse stream of the whole file (read here, or from the source daemon), its SHA-256 checked against `want`. */
async function copySent(src: Volume, dst: Volume, key: string, local: string | undefined, want: string, o: CopyHooks, name: string): Promise<number> {
  const total = local ? (await stat(local)).size : await fileSize(src);
  const checkpoints = new Checkpoints(o.checkpoint, 0);
  const onProgress = (bytes: number, position: number) => {
    o.progress?.({ step: 'copy', disk: key, bytes, position, total });
    checkpoints.sent(position);
  };
  try {
    let r: { bytes: number; sha256?: string };
    if (local) r = await dst.upload(local, { sparse: true, sha256: true, signal: o.signal, onProgress: (p) => onProgress(p.bytes, p.position) });
    else {
      // Hashed on the way through: the source daemon's download as it enters the upload.
      const hash = createHash('sha256');
      const through = new Transform({ highWaterMark: 4 << 20, transform(c: Buffer, _e, cb) { hash.update(c); cb(null, c); } });
      const bytes = await pipe(src, dst, { offset: 0, length: 0, sparse: true, signal: o.signal, through }, onProgress);
      r = { bytes, sha256: hash.digest('hex') };
    }
    if (r.sha256 !== want) {
      await o.mismatch().catch(() => undefined);
      throw new VirtkitError('REPLICA_MISMATCH', `replica of '${name}' disk ${key}: the bytes sent hash to ${r.sha256}, the template records ${want}`, {
        details: { disk: key, source: want, sent: r.sha256 },
      });
    }
    o.progress?.({ step: 'verify', disk: key, position: total, total });
    return r.bytes;
  } finally {
    await checkpoints.settled();
  }
}

/** The byte size of the volume's file (a qcow2's file, not its virtual size). */
export async function fileSize(v: Volume): Promise<number> {
  const physical = new VolumeXml(await v.xml()).physical;
  if (physical !== undefined) return physical;
  return (await v.info()).allocation;
}

/**
 * One transfer: src.download into dst.upload through a PassThrough (or `t.through`, a Transform
 * that may change the bytes: migrate's overlay re-pointing); either side failing aborts the other.
 */
export async function pipe(
  src: Volume, dst: Volume, t: { offset: number; length: number; sparse: boolean; signal?: AbortSignal; through?: Transform },
  onProgress: (bytes: number, position: number) => void,
): Promise<number> {
  const ac = new AbortController();
  const onAbort = () => ac.abort(t.signal!.reason);
  t.signal?.addEventListener('abort', onAbort, { once: true });
  const pass = t.through ?? new PassThrough({ highWaterMark: 4 << 20 });
  const fail = (e: unknown) => {
    if (!ac.signal.aborted) ac.abort(e);
    pass.destroy(e instanceof Error ? e : new Error(String(e)));
    throw e;
  };
  try {
    const [, up] = await Promise.all([
      src.download(pass, { offset: t.offset, length: t.length, sparse: t.sparse, signal: ac.signal }).catch(fail),
      dst.upload(pass, { offset: t.offset, length: t.length, sparse: t.sparse, signal: ac.signal, onProgress: (p) => onProgress(p.bytes, p.position) }).catch(fail),
    ]);
    return up.bytes;
  } catch (e) {
    if (t.signal?.aborted) throw abortError(t.signal);
    throw e;
  } finally {
    t.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * SHA-256 of a volume's file content (or of `range` of it), read through a sparse download.
 * Received into /dev/null by the native file path (hashed on its call thread): no chunk crosses
 * into JavaScript.
 */
export async function digest(v: Volume, signal?: AbortSignal, range?: { offset: number; length: number }): Promise<string> {
  const r = await v.download('/dev/null', { ...range, sparse: true, sha256: true, signal });
  return r.sha256!;
}

/** The source disk's path when this process reads the same file the source daemon holds (a pool directory it shares), else undefined. */
async function localSource(conn: Connection, vol: Volume, path: string): Promise<string | undefined> {
  if (!conn.core.isLocal) return undefined;
  const pool = await vol.pool().catch(() => undefined);
  const dir = pool && (await sharedPoolDir(conn, pool));
  return dir && path.startsWith(`${dir}/`) ? path : undefined;
}

/** Adds the target host to the source template's list of replicas (once per host). */
async function noteReplica(dom: Domain, uri: string, host: string): Promise<void> {
  const rec = await readRecord(dom);
  if (!rec) return;
  const list = (rec.replicas ?? []).filter((r) => r.host !== host);
  list.push({ host, uri });
  await writeRecord(dom, { ...rec, replicas: list });
}

/** Removes a replica made on the target: its domain (with NVRAM) and volumes. */
async function removeReplica(target: Connection, dom: Domain, paths: string[]): Promise<void> {
  await undefineWithNvram(target, dom).catch(() => undefined);
  for (const p of paths) {
    const v = await target.volumeByPath(p).catch(() => undefined);
    if (v) await removeAfterStream(v);
  }
}
