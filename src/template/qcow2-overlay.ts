// An empty qcow2 v3 overlay (compat 1.1) on a backing file, written in-process: the layout
// `qemu-img create -f qcow2 -o compat=1.1 -b BACKING -F FMT` makes (header with the backing-format
// and feature-name extensions and the backing name in cluster 0, refcount table in cluster 1, its
// one refcount block in cluster 2, the L1 table from cluster 3). Deploying a linked clone through
// libvirt's storage driver forks qemu-img for this and probes the result: most of a deploy's time.
import { open } from 'node:fs/promises';
import { invalid } from '../errors.js';

const CLUSTER_BITS = 16;
const CLUSTER = 1 << CLUSTER_BITS;
const HEADER_LENGTH = 112; // v3 header with the compression-type byte (and its padding)
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_FEATURE_NAMES = 0x6803f857;

// The feature names qemu writes (type: 0 incompatible, 1 compatible, 2 autoclear; bit; name).
const FEATURES: [number, number, string][] = [
  [0, 0, 'dirty bit'], [0, 1, 'corrupt bit'], [0, 2, 'external data file'], [0, 3, 'compression type'], [0, 4, 'extended L2 entries'],
  [1, 0, 'lazy refcounts'],
  [2, 0, 'bitmaps'], [2, 1, 'raw external data'],
];

const pad8 = (n: number) => (n + 7) & ~7;

/** The bytes of an empty overlay of `size` virtual bytes on `backing` (an absolute path) of format `backingFormat`. */
export function qcow2Overlay(size: number, backing: string, backingFormat: string): Buffer {
  if (!Number.isSafeInteger(size) || size <= 0 || size % 512 !== 0) throw invalid(`overlay size must be a positive multiple of 512, got ${size}`);
  const name = Buffer.from(backing, 'utf8');
  if (!backing.startsWith('/') || name.length > 1023 || name.includes(0)) throw invalid(`backing must be an absolute path of at most 1023 bytes, got ${JSON.stringify(backing)}`);
  const fmt = Buffer.from(backingFormat, 'ascii');
  if (!/^[a-z0-9]{1,16}$/.test(backingFormat)) throw invalid(`bad backing format ${JSON.stringify(backingFormat)}`);

  // One L2 table maps CLUSTER/8 clusters: the L1 table has one entry per such span.
  const l1Size = Math.ceil(size / (CLUSTER * (CLUSTER / 8)));
  const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / CLUSTER));
  const refTable = CLUSTER;
  const refBlock = 2 * CLUSTER;
  const l1 = 3 * CLUSTER;
  const used = 3 + l1Clusters; // clusters holding data: header, refcount table, block, L1
  if (used > CLUSTER / 2) throw invalid(`overlay size ${size} is too large for one refcount block`);

  const extFeatures = FEATURES.length * 48;
  const extStart = HEADER_LENGTH;
  const backingOffset = extStart + 8 + pad8(fmt.length) + 8 + extFeatures + 8;
  if (backingOffset + name.length > CLUSTER) throw invalid('backing path too long for the header cluster');

  // Only the non-zero parts: the file is the header cluster, two refcount clusters and the L1 table (zeroes).
  const buf = Buffer.alloc(l1 + l1Size * 8);
  let o = 0;
  const u32 = (v: number) => (buf.writeUInt32BE(v, o), (o += 4));
  const u64 = (v: number) => (buf.writeBigUInt64BE(BigInt(v), o), (o += 8));
  u32(0x514649fb); // 'QFI\xfb'
  u32(3); // version
  u64(backingOffset);
  u32(name.length);
  u32(CLUSTER_BITS);
  u64(size);
  u32(0); // crypt_method
  u32(l1Size);
  u64(l1);
  u64(refTable);
  u32(1); // refcount_table_clusters
  u32(0); // nb_snapshots
  u64(0); // snapshots_offset
  u64(0); // incompatible_features
  u64(0); // compatible_features
  u64(0); // autoclear_features
  u32(4); // refcount_order: 16-bit refcounts
  u32(HEADER_LENGTH);
  o = extStart; // compression_type 0 (zlib) and padding stay zero
  u32(EXT_BACKING_FORMAT);
  u32(fmt.length);
  fmt.copy(buf, o);
  o += pad8(fmt.length);
  u32(EXT_FEATURE_NAMES);
  u32(extFeatures);
  for (const [type, bit, label] of FEATURES) {
    buf[o] = type;
    buf[o + 1] = bit;
    buf.write(label, o + 2, 46, 'ascii');
    o += 48;
  }
  o += 8; // end of extensions: type 0, length 0
  name.copy(buf, backingOffset);

  buf.writeBigUInt64BE(BigInt(refBlock), refTable);
  for (let c = 0; c < used; c++) buf.writeUInt16BE(1, refBlock + 2 * c);
  return buf;
}

/**
 * Writes the overlay at `path`, which must not exist (EEXIST otherwise), with `mode`; a failure
 * after the file was made removes it.
 */
export async function writeQcow2Overlay(path: string, size: number, backing: string, backingFormat: string, mode = 0o600): Promise<void> {
  const data = qcow2Overlay(size, backing, backingFormat);
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask does not decide a disk's mode
  } catch (e) {
    await fh.close().catch(() => undefined);
    const { unlink } = await import('node:fs/promises');
    await unlink(path).catch(() => undefined);
    throw e;
  }
  await fh.close();
}
