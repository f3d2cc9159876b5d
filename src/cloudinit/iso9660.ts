// A minimal ISO 9660 image writer (ECMA-119) with Joliet names, for cloud-init seeds: one flat
// root directory of small files, written in memory. Linux, blkid and cloud-init read the
// Joliet tree (UCS-2 names such as 'user-data', as given); the primary tree carries ISO level 1
// names (USER_DAT.;1), which readers without Joliet map to lower case. No Rock Ridge: Linux
// prefers Joliet when an image has no RRIP ER record, and cloud-init needs nothing POSIX.
//
// Layout (2048-byte sectors): 0-15 system area (zero), 16 primary volume descriptor, 17 Joliet
// supplementary descriptor, 18 terminator, 19-22 path tables (L and M, primary and Joliet), then
// the primary root directory, the Joliet root directory, and the file data (shared by both trees).
import { invalid } from '../errors.js';

const SECTOR = 2048;

/** One file of the image's root directory. */
export interface IsoFile {
  /** Name as readers show it (Joliet), e.g. 'user-data': 1-64 UCS-2 characters, none of * / : ; ? \ or control characters. */
  name: string;
  data: Buffer | string;
}

/** Options of {@link iso9660Image}. */
export interface IsoImageOptions {
  /** Volume label (blkid's LABEL), e.g. 'cidata': 1-16 characters of [A-Za-z0-9_-] (fits both descriptors). */
  volumeId: string;
  files: IsoFile[];
  /** Recording time of every descriptor and record (default: now), so an image can be reproduced byte for byte. */
  date?: Date;
}

const JOLIET_BAD = /[\u0000-\u001f*/:;?\\]/;
const VOLUME_ID = /^[A-Za-z0-9_-]{1,16}$/;

function both16(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(n, 0);
  b.writeUInt16BE(n, 2);
  return b;
}
function both32(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  b.writeUInt32BE(n, 4);
  return b;
}

/** A text field padded with spaces (a- and d-characters are one byte each). */
function padAscii(s: string, len: number): Buffer {
  return Buffer.from(s.padEnd(len, ' ').slice(0, len), 'latin1');
}
/** A Joliet text field: UCS-2 big-endian, padded with UCS-2 spaces (0x00 0x20). */
function padUcs2(s: string, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i + 1 < len; i += 2) b.writeUInt16BE(0x20, i);
  ucs2(s).copy(b, 0, 0, Math.min(len, s.length * 2));
  return b;
}
function ucs2(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return b;
}

/** 7-byte recording time of a directory record (ECMA-119 9.1.5), in UTC. */
function recDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}
/** 17-byte volume descriptor time (ECMA-119 8.4.26.1), in UTC; `null` is "not specified". */
function volDate(d: Date | null): Buffer {
  if (!d) return Buffer.concat([Buffer.from('0000000000000000', 'latin1'), Buffer.from([0])]);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(Math.floor(d.getUTCMilliseconds() / 10))}`;
  return Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
}

/** A directory record (ECMA-119 9.1): identifier bytes as given, padded to an even length. */
function dirRecord(extent: number, size: number, flags: number, id: Buffer, date: Date): Buffer {
  const len = 33 + id.length + (id.length % 2 === 0 ? 1 : 0);
  const r = Buffer.alloc(len);
  r[0] = len;
  r[1] = 0; // extended attribute record length
  both32(extent).copy(r, 2);
  both32(size).copy(r, 10);
  recDate(date).copy(r, 18);
  r[25] = flags;
  r[26] = 0; // file unit size
  r[27] = 0; // interleave gap
  both16(1).copy(r, 28); // volume sequence number
  r[32] = id.length;
  id.copy(r, 33);
  return r;
}

/** Packs records into sectors: a record never crosses a sector boundary (ECMA-119 6.8.1.1). */
function packDirectory(records: Buffer[]): Buffer {
  const sectors: Buffer[] = [];
  let cur = Buffer.alloc(SECTOR);
  let at = 0;
  for (const r of records) {
    if (at + r.length > SECTOR) {
      sectors.push(cur);
      cur = Buffer.alloc(SECTOR);
      at = 0;
    }
    r.copy(cur, at);
    at += r.length;
  }
  sectors.push(cur);
  return Buffer.concat(sectors);
}

/** ISO level 1 names (8.3 of d-characters, ';1'), unique in the directory. */
function primaryNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    const dot = n.lastIndexOf('.');
    const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    const base = clean(dot > 0 ? n.slice(0, dot) : n) || '_';
    const ext = clean(dot > 0 ? n.slice(dot + 1) : '').slice(0, 3);
    for (let i = 0; ; i++) {
      const suffix = i === 0 ? '' : `_${i}`;
      const id = `${base.slice(0, 8 - suffix.length)}${suffix}.${ext};1`;
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  });
}

function volumeDescriptor(type: 1 | 2, o: { volumeId: string; sectors: number; ptSize: number; ptL: number; ptM: number; root: Buffer; date: Date }): Buffer {
  const joliet = type === 2;
  const text = (s: string, len: number) => (joliet ? padUcs2(s, len) : padAscii(s, len));
  const d = Buffer.alloc(SECTOR);
  d[0] = type;
  d.write('CD001', 1, 'latin1');
  d[6] = 1;
  text('LINUX', 32).copy(d, 8); // system identifier
  text(o.volumeId, 32).copy(d, 40);
  both32(o.sectors).copy(d, 80);
  if (joliet) d.write('%/E', 88, 'latin1'); // escape sequence: UCS-2 level 3
  both16(1).copy(d, 120); // volume set size
  both16(1).copy(d, 124); // volume sequence number
  both16(SECTOR).copy(d, 128);
  both32(o.ptSize).copy(d, 132);
  d.writeUInt32LE(o.ptL, 140);
  d.writeUInt32BE(o.ptM, 148);
  o.root.copy(d, 156); // the 34-byte root directory record
  for (const [at, len] of [[190, 128], [318, 128], [446, 128]] as const) text('', len).copy(d, at); // volume set, publisher, preparer
  text('VIRTKIT', 128).copy(d, 574); // application identifier
  for (const [at, len] of [[702, 37], [739, 37], [776, 37]] as const) text('', len).copy(d, at); // copyright, abstract, bibliographic files
  volDate(o.date).copy(d, 813); // creation
  volDate(o.date).copy(d, 830); // modification
  volDate(null).copy(d, 847); // expiration
  volDate(o.date).copy(d, 864); // effective
  d[881] = 1; // file structure version
  return d;
}

/** A path table with only the root (ECMA-119 9.4), little- or big-endian. */
function pathTable(rootExtent: number, bigEndian: boolean): Buffer {
  const t = Buffer.alloc(SECTOR);
  t[0] = 1; // length of the root's identifier
  t[1] = 0;
  if (bigEndian) {
    t.writeUInt32BE(rootExtent, 2);
    t.writeUInt16BE(1, 6);
  } else {
    t.writeUInt32LE(rootExtent, 2);
    t.writeUInt16LE(1, 6);
  }
  t[8] = 0; // root identifier, then one pad byte
  return t;
}
const PATH_TABLE_SIZE = 10;

/**
 * Builds an ISO 9660 image with a Joliet tree holding `files` in its root directory.
 * INVALID_ARGUMENT for a bad volume id, a bad or duplicate name, or a file over 4 GiB - 1.
 */
export function iso9660Image(opts: IsoImageOptions): Buffer {
  if (typeof opts !== 'object' || opts === null) throw invalid('options must be an object', { argument: 'options' });
  if (typeof opts.volumeId !== 'string' || !VOLUME_ID.test(opts.volumeId)) {
    throw invalid(`volumeId must be 1-16 letters, digits, '_' or '-', got ${JSON.stringify(opts.volumeId)}`, { argument: 'volumeId' });
  }
  const date = opts.date ?? new Date();
  if (!(date instanceof Date) || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1900 || date.getUTCFullYear() > 2155) {
    throw invalid('date must be a valid Date between 1900 and 2155', { argument: 'date' });
  }
  if (!Array.isArray(opts.files)) throw invalid('files must be an array', { argument: 'files' });
  const seen = new Set<string>();
  const files = opts.files.map((f, i) => {
    const at = `files[${i}]`;
    if (typeof f?.name !== 'string' || f.name.length === 0 || f.name.length > 64 || JOLIET_BAD.test(f.name) || /[\uD800-\uDFFF]/.test(f.name) || f.name === '.' || f.name === '..') {
      throw invalid(`${at}.name must be 1-64 characters (BMP), none of * / : ; ? \\ or control characters, got ${JSON.stringify(f?.name)}`, { argument: `${at}.name` });
    }
    if (seen.has(f.name)) throw invalid(`${at}.name ${JSON.stringify(f.name)} is given twice`, { argument: `${at}.name` });
    seen.add(f.name);
    const data = typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : f.data;
    if (!Buffer.isBuffer(data)) throw invalid(`${at}.data must be a Buffer or a string`, { argument: `${at}.data` });
    if (data.length > 0xffffffff) throw invalid(`${at}.data is larger than an ISO 9660 file can be`, { argument: `${at}.data` });
    return { name: f.name, data };
  });

  // Directories are sorted by identifier (ECMA-119 9.3): each tree by its own names.
  const primary = primaryNames(files.map((f) => f.name));
  const primaryOrder = files.map((_, i) => i).sort((a, b) => Buffer.compare(Buffer.from(primary[a]!, 'latin1'), Buffer.from(primary[b]!, 'latin1')));
  const jolietOrder = files.map((_, i) => i).sort((a, b) => Buffer.compare(ucs2(files[a]!.name), ucs2(files[b]!.name)));

  const dirSectors = (ids: Buffer[]) => Math.ceil(packDirectory([...[0, 1].map(() => Buffer.alloc(34)), ...ids.map((id) => dirRecord(0, 0, 0, id, date))]).length / SECTOR);
  const pIds = primaryOrder.map((i) => Buffer.from(primary[i]!, 'latin1'));
  const jIds = jolietOrder.map((i) => ucs2(`${files[i]!.name};1`));
  const pDir = 23;
  const pDirLen = dirSectors(pIds);
  const jDir = pDir + pDirLen;
  const jDirLen = dirSectors(jIds);
  let next = jDir + jDirLen;
  const extents = files.map((f) => {
    const at = next;
    next += Math.ceil(f.data.length / SECTOR);
    return at;
  });
  const total = next;

  const directory = (self: number, selfLen: number, order: number[], ids: Buffer[]) =>
    packDirectory([
      dirRecord(self, selfLen * SECTOR, 2, Buffer.from([0]), date), // '.'
      dirRecord(self, selfLen * SECTOR, 2, Buffer.from([1]), date), // '..' of the root is the root
      ...order.map((i, k) => dirRecord(files[i]!.data.length ? extents[i]! : 0, files[i]!.data.length, 0, ids[k]!, date)),
    ]);

  const out = Buffer.alloc(total * SECTOR);
  const put = (sector: number, b: Buffer) => b.copy(out, sector * SECTOR);
  put(16, volumeDescriptor(1, { volumeId: opts.volumeId, sectors: total, ptSize: PATH_TABLE_SIZE, ptL: 19, ptM: 20, root: dirRecord(pDir, pDirLen * SECTOR, 2, Buffer.from([0]), date), date }));
  put(17, volumeDescriptor(2, { volumeId: opts.volumeId, sectors: total, ptSize: PATH_TABLE_SIZE, ptL: 21, ptM: 22, root: dirRecord(jDir, jDirLen * SECTOR, 2, Buffer.from([0]), date), date }));
  const term = Buffer.alloc(SECTOR);
  term[0] = 255;
  term.write('CD001', 1, 'latin1');
  term[6] = 1;
  put(18, term);
  put(19, pathTable(pDir, false));
  put(20, pathTable(pDir, true));
  put(21, pathTable(jDir, false));
  put(22, pathTable(jDir, true));
  put(pDir, directory(pDir, pDirLen, primaryOrder, pIds));
  put(jDir, directory(jDir, jDirLen, jolietOrder, jIds));
  files.forEach((f, i) => put(extents[i]!, f.data));
  return out;
}
