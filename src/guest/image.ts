// Checks of disk images on the host, before an appliance starts: the format on disk, the qcow2
// backing chain, and the consistency of qcow2 metadata. libguestfs reports all of these as
// "appliance failed to start"; read here from the image headers (no tool is spawned), they get
// their own codes and name the file at fault. Nothing here writes.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VirtkitError } from '../errors.js';

const QCOW2_MAGIC = 0x514649fb;
const EXT_BACKING_FORMAT = 0xe2792aca;
/** Bits 9-55 of an L1/L2/refcount-table entry: the host offset (qcow2 spec). */
const OFFSET_MASK = 0x00fffffffffffe00n;
const L2_COMPRESSED = 1n << 62n;
const MAX_CHAIN = 64;

/** One image of a backing chain, top first. */
export interface ChainLink {
  path: string;
  format: string;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, b, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? b : b.subarray(0, got);
}

/** 'qcow2' when the file starts with the qcow2 magic, else 'raw'. */
export function probeImageFormat(path: string): 'qcow2' | 'raw' {
  const fd = openSync(path, 'r');
  try {
    const head = readAt(fd, 0, 4);
    return head.length === 4 && head.readUInt32BE(0) === QCOW2_MAGIC ? 'qcow2' : 'raw';
  } finally {
    closeSync(fd);
  }
}

interface Qcow2Header {
  version: number;
  clusterBits: number;
  backing?: string;
  backingFormat?: string;
  l1Size: number;
  l1Offset: bigint;
  refcountTableOffset: bigint;
  refcountTableClusters: number;
}

function corrupt(path: string, why: string): VirtkitError {
  return new VirtkitError('IMAGE_CORRUPT', `image ${path} is damaged: ${why} (check it with qemu-img check)`, { details: { path, reason: why } });
}

function readHeader(fd: number, path: string): Qcow2Header {
  const h = readAt(fd, 0, 112);
  if (h.length < 72) throw corrupt(path, 'qcow2 header cut short');
  const version = h.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw corrupt(path, `unknown qcow2 version ${version}`);
  const backingOffset = Number(h.readBigUInt64BE(8));
  const backingSize = h.readUInt32BE(16);
  const out: Qcow2Header = {
    version,
    clusterBits: h.readUInt32BE(20),
    l1Size: h.readUInt32BE(36),
    l1Offset: h.readBigUInt64BE(40),
    refcountTableOffset: h.readBigUInt64BE(48),
    refcountTableClusters: h.readUInt32BE(56),
  };
  if (out.clusterBits < 9 || out.clusterBits > 21) throw corrupt(path, `cluster bits ${out.clusterBits}`);
  if (backingOffset !== 0 && backingSize > 0) {
    if (backingSize > 1023) throw corrupt(path, 'backing file name too long');
    const name = readAt(fd, backingOffset, backingSize);
    if (name.length !== backingSize) throw corrupt(path, 'backing file name cut short');
    out.backing = name.toString('utf8');
  }
  // Header extensions: after the 72-byte v2 header, or after header_length in v3.
  let pos = version === 3 && h.length >= 104 ? h.readUInt32BE(100) : 72;
  for (let i = 0; i < 64; i++) {
    const e = readAt(fd, pos, 8);
    if (e.length < 8) break;
    const type = e.readUInt32BE(0);
    const len = e.readUInt32BE(4);
    if (type === 0) break;
    if (type === EXT_BACKING_FORMAT && len < 64) out.backingFormat = readAt(fd, pos + 8, len).toString('utf8');
    pos += 8 + Math.ceil(len / 8) * 8;
  }
  return out;
}

/**
 * Walks the backing chain of an image, top first.
 * @throws VirtkitError('BACKING_MISSING') naming the missing file (`details.path`) and the image
 *   that refers to it (`details.image`); IMAGE_CORRUPT for an unreadable header; INVALID_ARGUMENT
 *   for a chain that loops.
 */
export function backingChain(path: string, format?: string): ChainLink[] {
  const chain: ChainLink[] = [];
  let cur: ChainLink | undefined = { path: resolve(path), format: format ?? probeImageFormat(path) };
  while (cur) {
    if (chain.some((c) => c.path === cur!.path)) throw new VirtkitError('INVALID_ARGUMENT', `image ${path}: its backing chain loops at ${cur.path}`, { details: { path: cur.path, chain } });
    chain.push(cur);
    if (chain.length > MAX_CHAIN) throw new VirtkitError('INVALID_ARGUMENT', `image ${path}: backing chain longer than ${MAX_CHAIN}`, { details: { chain } });
    if (cur.format !== 'qcow2') break;
    const fd = openSync(cur.path, 'r');
    let h: Qcow2Header;
    try {
      h = readHeader(fd, cur.path);
    } finally {
      closeSync(fd);
    }
    if (h.backing === undefined) break;
    // json:{…} and URLs (nbd://, http://) cannot be checked here: libguestfs will open them.
    if (h.backing.startsWith('json:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(h.backing)) break;
    const next = resolve(dirname(cur.path), h.backing);
    try {
      statSync(next);
    } catch (e) {
      throw new VirtkitError('BACKING_MISSING', `image ${cur.path} needs its backing file ${next}, which does not exist${chain.length > 1 ? ` (chain: ${chain.map((c) => c.path).join(' -> ')})` : ''}`, {
        cause: e,
        details: { path: next, image: cur.path, backing: h.backing, chain: chain.map((c) => c.path) },
      });
    }
    cur = { path: next, format: h.backingFormat ?? probeImageFormat(next) };
  }
  return chain;
}

/**
 * Checks what a truncated or damaged qcow2 shows without a full `qemu-img check`: the L1 table, the
 * refcount table and every L2 table and data cluster they point to must lie inside the file.
 * @throws VirtkitError('IMAGE_CORRUPT') naming the image and what is wrong.
 */
export function checkQcow2(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const size = BigInt(fstatSync(fd).size);
    const h = readHeader(fd, path);
    const cluster = 1n << BigInt(h.clusterBits);
    const inside = (off: bigint, len: bigint) => off + len <= size;
    if (h.l1Size > 0 && !inside(h.l1Offset, BigInt(h.l1Size) * 8n)) throw corrupt(path, `L1 table at ${h.l1Offset} lies past the end of the file (${size} bytes)`);
    if (!inside(h.refcountTableOffset, BigInt(h.refcountTableClusters) * cluster)) throw corrupt(path, 'refcount table lies past the end of the file');
    // Refcount blocks.
    const rt = readAt(fd, Number(h.refcountTableOffset), h.refcountTableClusters * Number(cluster));
    for (let i = 0; i + 8 <= rt.length; i += 8) {
      const off = rt.readBigUInt64BE(i) & OFFSET_MASK;
      if (off !== 0n && !inside(off, cluster)) throw corrupt(path, `refcount block at ${off} lies past the end of the file (${size} bytes)`);
    }
    // L2 tables and the clusters they map.
    const l1 = readAt(fd, Number(h.l1Offset), h.l1Size * 8);
    const entries = Number(cluster) / 8;
    for (let i = 0; i + 8 <= l1.length; i += 8) {
      const l2off = l1.readBigUInt64BE(i) & OFFSET_MASK;
      if (l2off === 0n) continue;
      if (!inside(l2off, cluster)) throw corrupt(path, `L2 table at ${l2off} lies past the end of the file (${size} bytes)`);
      const l2 = readAt(fd, Number(l2off), Number(cluster));
      for (let j = 0; j < entries; j++) {
        const e = l2.readBigUInt64BE(j * 8);
        if (e & L2_COMPRESSED) continue;
        const off = e & OFFSET_MASK;
        if (off !== 0n && !inside(off, cluster)) throw corrupt(path, `data cluster at ${off} lies past the end of the file (${size} bytes)`);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * True when some process holds a lock on the file, as qemu and qemu-nbd do on every image they
 * have open (OFD locks on bytes 100-300): read from /proc/locks, since Node has no fcntl. False
 * when /proc/locks cannot be read.
 */
export function imageLocked(path: string): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/locks', 'utf8');
  } catch {
    return false;
  }
  const st = statSync(path);
  const major = Number((BigInt(st.dev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(st.dev) & 0xffn) | ((BigInt(st.dev) >> 12n) & 0xfff00n));
  for (const line of text.split('\n')) {
    // "1: OFDLCK ADVISORY  READ -1 fe:00:2147116 203 203" (blocked waiters start with "->").
    const m = /^\d+:\s+(?:OFDLCK|POSIX|FLOCK)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m && parseInt(m[1]!, 16) === major && parseInt(m[2]!, 16) === minor && Number(m[3]) === st.ino) return true;
  }
  return false;
}
