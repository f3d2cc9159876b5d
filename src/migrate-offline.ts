// The overlay of a shut-off linked clone, copied to the target host for an offline migration
// (VIR_MIGRATE_OFFLINE moves only the definition). The file streams over libvirt (replicate's
// pipe) with its backing name re-pointed at the target's replica as it goes (qcow2-rebase.ts),
// onto an overlay volume already made there on the replica: the first window, as long as that
// volume's file, is sent dense so nothing of it stays; the rest sparse. Verified by SHA-256.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Volume } from './storage.js';
import { VirtkitError } from './errors.js';
import { digest, fileSize, pipe } from './template/replicate.js';
import { rebaseTransform } from './template/qcow2-rebase.js';
import type { MigrateProgress } from './migrate-types.js';

const ALIGN = 1 << 20;

/** Copies `src` (a qcow2 overlay on the source) over `dst` (an overlay on `backing`, on the target); resolves with the data bytes moved. */
export async function copyOverlay(
  src: Volume, dst: Volume, backing: string,
  o: { disk: string; signal?: AbortSignal; onProgress?: (p: MigrateProgress) => void },
): Promise<number> {
  const total = await fileSize(src);
  const window = Math.ceil((await fileSize(dst)) / ALIGN) * ALIGN;
  let before = 0;
  const report = (bytes: number) => o.onProgress?.({ step: 'copy', disk: o.disk, diskProcessed: before + bytes, diskTotal: total });
  const dense = total <= window ? 0 : window; // 0: the whole file in one go
  before += await pipe(src, dst, { offset: 0, length: dense, sparse: false, signal: o.signal, through: rebaseTransform(backing) }, (b) => report(b));
  if (dense > 0) before += await pipe(src, dst, { offset: dense, length: 0, sparse: true, signal: o.signal }, (b) => report(b));
  // What landed must be the source's bytes with only the backing name changed.
  const [want, got] = await Promise.all([rebasedDigest(src, backing, o.signal), digest(dst, o.signal)]);
  if (want !== got)
    throw new VirtkitError('REPLICA_MISMATCH', `migrate: overlay ${o.disk} on the target: SHA-256 ${got}, expected ${want}`, { details: { disk: o.disk, expected: want, target: got } });
  return before;
}

/** SHA-256 of the source file as it reads with its backing name re-pointed. */
async function rebasedDigest(src: Volume, backing: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  const t = rebaseTransform(backing);
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      h.update(c);
      cb();
    },
  });
  const piped = new Promise<void>((resolve, reject) => {
    t.pipe(sink).on('finish', resolve).on('error', reject);
    t.on('error', reject);
  });
  await Promise.all([src.download(t, { sparse: true, signal }), piped]);
  return h.digest('hex');
}
