// A qcow2 overlay's backing file name, rewritten in its header as the file streams to another
// host: what `qemu-img rebase -u -b NEW` does, without running anything there. The name lives in
// cluster 0 after the header extensions (qemu's layout, also src/template/qcow2-overlay.ts's);
// only those bytes change, the data clusters and tables are copied as they are.
import { Transform, type TransformCallback } from 'node:stream';
import { VirtkitError, invalid } from '../errors.js';

const MAGIC = 0x514649fb; // 'QFI\xfb'
const MAX_NAME = 1023; // qemu's limit for a backing file name

/** The bytes of the file's start needed to rewrite its backing name to `backing`, or 0 when `head` is too short to tell. */
function needed(head: Buffer, backing: Buffer): number {
  if (head.length < 104) return 0;
  const offset = Number(head.readBigUInt64BE(8));
  const size = head.readUInt32BE(16);
  return Math.max(offset + Math.max(size, backing.length), headerLength(head));
}

function headerLength(head: Buffer): number {
  return head.readUInt32BE(4) >= 3 ? head.readUInt32BE(100) : 72;
}

/**
 * `head` (the file's first bytes, at least as many as the backing name reaches) with the backing
 * name replaced by `backing`. Refused (IMAGE_CORRUPT) when the file is not a qcow2 with a backing
 * name in cluster 0 after its header extensions, or the new name would overwrite anything.
 */
export function rebaseHeader(head: Buffer, backing: string): Buffer {
  const name = Buffer.from(backing, 'utf8');
  if (!backing.startsWith('/') || name.length > MAX_NAME || name.includes(0)) throw invalid(`backing must be an absolute path of at most ${MAX_NAME} bytes`);
  const bad = (why: string) => new VirtkitError('IMAGE_CORRUPT', `cannot re-point the overlay's backing file: ${why}`);
  if (head.length < 72 || head.readUInt32BE(0) !== MAGIC) throw bad('not a qcow2 image');
  const version = head.readUInt32BE(4);
  if (version < 2 || version > 3) throw bad(`qcow2 version ${version}`);
  const offset = Number(head.readBigUInt64BE(8));
  const oldLen = head.readUInt32BE(16);
  const cluster = 2 ** head.readUInt32BE(20);
  if (offset === 0 || oldLen === 0) throw bad('the image has no backing file');
  // The extensions (ended by a zero type) come before the name; nothing follows it in cluster 0.
  let at = headerLength(head);
  for (;;) {
    if (at + 8 > head.length || at + 8 > offset) throw bad('header extensions run into the backing name');
    const type = head.readUInt32BE(at);
    const len = head.readUInt32BE(at + 4);
    at += 8 + ((len + 7) & ~7);
    if (type === 0) break;
  }
  if (at > offset) throw bad('header extensions run into the backing name');
  if (offset + name.length > cluster) throw bad('the new name does not fit in the header cluster');
  if (head.length < offset + Math.max(oldLen, name.length)) throw bad('short header');
  for (let i = offset + oldLen; i < offset + name.length; i++) if (head[i] !== 0) throw bad('bytes after the backing name are in use');
  const out = Buffer.from(head);
  out.fill(0, offset, offset + Math.max(oldLen, name.length));
  name.copy(out, offset);
  out.writeUInt32BE(name.length, 16);
  return out;
}

/** A Transform that rewrites the backing name of the qcow2 file streaming through it (from offset 0). */
export function rebaseTransform(backing: string): Transform {
  const name = Buffer.from(backing, 'utf8');
  let head: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (!head) return cb(null, chunk);
      head = Buffer.concat([head, chunk]);
      const need = needed(head, name);
      if (need === 0 || head.length < need) return cb();
      try {
        const out = rebaseHeader(head, backing);
        head = undefined;
        cb(null, out);
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      if (!head) return cb();
      try {
        const out = rebaseHeader(head, backing); // refuses a file too short to hold its header
        head = undefined;
        cb(null, out);
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}
