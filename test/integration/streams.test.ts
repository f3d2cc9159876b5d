// Volume upload/download over libvirt streams on the real daemon: sparse round trips of raw and
// qcow2 images, Node streams, aborts that leave no stream and no created volume behind.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, createReadStream, createWriteStream, readdirSync, readlinkSync, readSync, closeSync, ftruncateSync, openSync, statSync, writeSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Connection, StoragePool, VirtkitError, type TransferProgress } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 4 * MiB })) h.update(c as Buffer);
  return h.digest('hex');
}
/** True while some libvirtd holds the file open (its side of a stream). */
function daemonHolds(path: string): boolean {
  for (const pid of run('sh', ['-c', 'pgrep -x libvirtd || true']).split(/\s+/).filter(Boolean)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === path) return true;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return false;
}
async function eventually(f: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return f();
}
function allocated(path: string): number {
  return statSync(path).blocks * 512;
}

describe('volume streams on a real daemon', () => {
  let conn: Connection;
  let pool: StoragePool;
  let remove: () => Promise<void>;
  const dir = `/var/lib/virtkit-test/streams-src-${process.pid}`;
  const raw = `${dir}/src.raw`;
  const qcow2 = `${dir}/src.qcow2`;
  const small = `${dir}/small.raw`;
  const DATA = 48 * MiB;
  let rawSha: string;
  const regions: Array<[number, Buffer]> = [0, 900 * MiB, 2 * GiB - 16 * MiB].map((off) => [off, randomBytes(16 * MiB)]);
  /** The SHA-256 of the raw image from its layout (no 2 GiB read). */
  function layoutSha(): string {
    const h = createHash('sha256');
    const zeros = Buffer.alloc(16 * MiB);
    let pos = 0;
    for (const [off, b] of regions) {
      for (; pos < off; pos += Math.min(zeros.length, off - pos)) h.update(zeros.subarray(0, Math.min(zeros.length, off - pos)));
      h.update(b);
      pos = off + b.length;
    }
    return h.digest('hex');
  }

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, remove } = await scratchPool(conn, 'streams'));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // 2 GiB with 48 MiB of data: at the start, in the middle, at the very end (no trailing hole).
    const fd = openSync(raw, 'w');
    ftruncateSync(fd, 2 * GiB);
    for (const [off, b] of regions) writeSync(fd, b, 0, b.length, off);
    closeSync(fd);
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
    // 64 MiB, data with a hole in the middle and a trailing hole.
    const fs = openSync(small, 'w');
    ftruncateSync(fs, 64 * MiB);
    writeSync(fs, randomBytes(8 * MiB), 0, 8 * MiB, 0);
    writeSync(fs, randomBytes(8 * MiB), 0, 8 * MiB, 40 * MiB);
    closeSync(fs);
    rawSha = layoutSha();
  });
  afterAll(async () => {
    await remove?.();
    await conn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads and downloads a 2 GiB sparse raw image moving only its data; the copy lands sparse, same content', async () => {
    const seen: TransferProgress[] = [];
    const vol = await pool.importVolume(raw, { name: 'rt.raw', sparse: true, sha256: true, onProgress: (p) => seen.push(p) });
    expect((await vol.info()).capacity).toBe(2 * GiB);
    expect(await vol.format()).toBe('raw');
    const last = seen.at(-1)!;
    expect(last).toEqual({ bytes: DATA, position: 2 * GiB, total: 2 * GiB });
    const out = `${dir}/out.raw`;
    const down = await vol.download(out, { sparse: true, sha256: true });
    expect(down).toEqual({ bytes: DATA, size: 2 * GiB, sha256: rawSha });
    expect(statSync(out).size).toBe(2 * GiB);
    expect(allocated(out)).toBeLessThanOrEqual(DATA * 1.1);
    // What landed: the data regions byte for byte, holes elsewhere (allocation above).
    const ofd = openSync(out, 'r');
    try {
      for (const [off, b] of regions) {
        const got = Buffer.alloc(b.length);
        readSync(ofd, got, 0, b.length, off);
        expect(got.equals(b)).toBe(true);
      }
    } finally {
      closeSync(ofd);
    }
    // The volume in the pool holds only the data too (libvirtd's first-hole quirk is worked around).
    expect(allocated(await vol.path())).toBeLessThanOrEqual(DATA * 1.1);
    rmSync(out);
  });

  it('imports a qcow2 image (2 GiB virtual) and downloads it to a Writable; qemu-img compare is clean', async () => {
    const vol = await pool.importVolume(qcow2, { name: 'rt.qcow2', sparse: true });
    expect(await vol.format()).toBe('qcow2');
    expect((await vol.info()).capacity).toBe(2 * GiB);
    const out = `${dir}/out.qcow2`;
    const r = await vol.download(createWriteStream(out), { sha256: true });
    expect(r.sha256).toBe(await sha256File(qcow2));
    expect(r.size).toBe(statSync(qcow2).size);
    run('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, out]);
    run('qemu-img', ['check', out]);
    rmSync(out);
  });

  it('round-trips a Readable (zero blocks sent as holes) and a sparse download with offset and length', async () => {
    const sha = await sha256File(small);
    const vol = await pool.importVolume(createReadStream(small), { name: 'rd.raw', format: 'raw', capacity: 64 * MiB, sparse: true, sha256: true });
    const chunks: Buffer[] = [];
    const r = await vol.download(new Writable({ write(c, _e, cb) { chunks.push(c as Buffer); cb(); } }), { sparse: true, sha256: true });
    expect(r).toMatchObject({ size: 64 * MiB, sha256: sha });
    // Only the data landed (a block at most around the one-byte first hole).
    expect(r.bytes).toBeGreaterThanOrEqual(16 * MiB);
    expect(r.bytes).toBeLessThanOrEqual(16 * MiB * 1.1);
    expect(allocated(await vol.path())).toBeLessThanOrEqual(16 * MiB * 1.1);
    const part = `${dir}/part.raw`;
    const p = await vol.download(part, { offset: 40 * MiB, length: 4 * MiB, sparse: true });
    expect(p.size).toBe(4 * MiB);
    const whole = Buffer.concat(chunks);
    expect(readFileSync(part).equals(whole.subarray(40 * MiB, 44 * MiB))).toBe(true);
    rmSync(part);

    // Upload with offset and length: only `length` bytes of the file land, at `offset`.
    const vol2 = await pool.createVolume({ name: 'ol.raw', format: 'raw', capacity: 64 * MiB });
    const up = await vol2.upload(small, { offset: 8 * MiB, length: 4 * MiB, sparse: true });
    expect(up).toEqual({ bytes: 4 * MiB, size: 4 * MiB });
    const back = `${dir}/back.raw`;
    await vol2.download(back, { offset: 8 * MiB, length: 6 * MiB });
    const got = readFileSync(back);
    expect(got.subarray(0, 4 * MiB).equals(readFileSync(small).subarray(0, 4 * MiB))).toBe(true);
    expect(got.subarray(4 * MiB).equals(Buffer.alloc(2 * MiB))).toBe(true);
    rmSync(back);
  });

  it('sourceOffset: a file copied in segments at the same offsets (as replicate does) ends identical; each segment read back hashes as sent', async () => {
    const vol = await pool.createVolume({ name: 'seg.raw', format: 'raw', capacity: 1 * MiB });
    const SEG = 12 * MiB; // boundaries inside data (0-8 MiB, 40-48 MiB) and inside holes
    const size = 64 * MiB;
    const sent: string[] = [];
    for (let at = 0; at < size; at += SEG) {
      const length = Math.min(SEG, size - at);
      const up = await vol.upload(small, { offset: at, length, sourceOffset: at, sparse: true, sha256: true });
      expect(up.size).toBe(length);
      const back = await vol.download('/dev/null', { offset: at, length, sparse: true, sha256: true });
      expect(back.sha256).toBe(up.sha256);
      sent.push(up.sha256!);
    }
    // One whole download gives every segment's digest too (the last one shorter), holes as zeroes.
    const whole = await vol.download('/dev/null', { sparse: true, sha256: true, sha256Segment: SEG });
    expect(whole).toMatchObject({ size, sha256: await sha256File(small), sha256Segments: sent });
    // A size that puts boundaries at odd offsets, inside holes and data alike: as hashed here.
    const odd = 7 * MiB + 13;
    const bytes = readFileSync(small);
    const want: string[] = [];
    for (let at = 0; at < size; at += odd) want.push(createHash('sha256').update(bytes.subarray(at, at + odd)).digest('hex'));
    expect((await vol.download('/dev/null', { sparse: true, sha256Segment: odd })).sha256Segments).toEqual(want);
    await expect(vol.download(new Writable({ write(_c, _e, cb) { cb(); } }), { sha256Segment: SEG })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vol.upload(small, { sha256Segment: SEG })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vol.download('/dev/null', { sha256Segment: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vol.download('/dev/null', { sha256Segment: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vol.download('/dev/null', { sha256Segment: MiB - 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(allocated(await vol.path())).toBeLessThanOrEqual(16 * MiB * 1.2);
    // Refused before any stream opens: past the end, with a Readable, on a download.
    await expect(vol.upload(small, { sourceOffset: size + 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vol.upload(Readable.from([Buffer.alloc(10)]), { sourceOffset: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vol.download('/dev/null', { sourceOffset: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(vol.upload(small, { sourceOffset: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await vol.download('/dev/null', { sha256: true })).toMatchObject({ sha256: whole.sha256 });
    await vol.delete();
  });

  it('abort mid-transfer: ABORTED, the created volume is gone, no stream is left open in the daemon', async () => {
    const ac = new AbortController();
    let calls = 0;
    const path = `${(await pool.xml()).match(/<path>([^<]+)<\/path>/)![1]}/abort.raw`;
    const err = await pool
      .importVolume(raw, {
        name: 'abort.raw',
        signal: ac.signal,
        onProgress: () => {
          if (++calls === 1) {
            expect(daemonHolds(path)).toBe(true);
            ac.abort();
          }
        },
      })
      .catch((e: unknown) => e);
    expect(calls).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(VirtkitError);
    expect((err as VirtkitError).code).toBe('ABORTED');
    await pool.refresh();
    expect(await pool.findVolume('abort.raw')).toBeUndefined();
    expect(await eventually(() => !daemonHolds(path))).toBe(true);

    // A progress callback that throws aborts the transfer with its error.
    const oops = new Error('callback failed');
    const e2 = await pool.importVolume(raw, { name: 'throw.raw', sparse: true, onProgress: () => { throw oops; } }).catch((e: unknown) => e);
    expect(e2).toBe(oops);
    await pool.refresh();
    expect(await pool.findVolume('throw.raw')).toBeUndefined();
    expect(await eventually(() => !daemonHolds(path.replace('abort.raw', 'throw.raw')))).toBe(true);

    // An existing volume: a chunked download aborted part-way; the volume stays, its stream is closed.
    const vol = await pool.importVolume(small, { name: 'keep.raw' });
    const vpath = await vol.path();
    const ac2 = new AbortController();
    const slow = new Writable({ highWaterMark: MiB, write(_c, _e, cb) { setTimeout(cb, 20); } });
    setTimeout(() => ac2.abort(), 100);
    await expect(vol.download(slow, { signal: ac2.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await eventually(() => !daemonHolds(vpath))).toBe(true);
    expect(await pool.findVolume('keep.raw')).toBeDefined();
    await vol.delete();
  });

  it('a stream left open and unreferenced is aborted when collected (no RPC on the main thread)', async () => {
    const vol = await pool.createVolume({ name: 'gc.raw', format: 'raw', capacity: MiB });
    const child = new URL('./children/stream-gc.mjs', import.meta.url).pathname;
    const out = run(process.execPath, ['--expose-gc', child, await vol.path()]);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ whileOpen: true, afterGc: false });
    await vol.delete();
  });

  it('a Worker terminated mid-transfer: the transfer stops, the stream is closed, the process lives on', async () => {
    const vol = await pool.createVolume({ name: 'wk.raw', format: 'raw', capacity: 2 * GiB });
    const child = new URL('./children/stream-worker.mjs', import.meta.url).pathname;
    const out = run(process.execPath, [child, await vol.path(), raw]);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ file: { during: true, after: false }, chunks: { during: true, after: false } });
    await vol.delete();
  });

  it('a source stream that fails mid-way rejects with its cause; the created volume is removed', async () => {
    const boom = new Error('disk on fire');
    async function* gen() {
      yield randomBytes(2 * MiB);
      throw boom;
    }
    const err = (await pool.importVolume(Readable.from(gen()), { name: 'fail.raw', capacity: 8 * MiB }).catch((e: unknown) => e)) as VirtkitError;
    expect(err.code).toBe('IO_ERROR');
    expect(err.cause).toBe(boom);
    await pool.refresh();
    expect(await pool.findVolume('fail.raw')).toBeUndefined();
  });

  it('refuses bad input as rejected promises (INVALID_ARGUMENT), other image formats, a taken name', async () => {
    const vol = await pool.createVolume({ name: 'bad.raw', format: 'raw', capacity: MiB });
    const bad: Array<() => Promise<unknown>> = [
      () => vol.upload(42 as never),
      () => vol.upload('a\0b'),
      () => vol.upload(small, { offset: -1 }),
      () => vol.upload(small, { length: 1.5 }),
      () => vol.upload(small, { sparse: 'yes' as never }),
      () => vol.upload(small, { signal: {} as never }),
      () => vol.download({} as never),
      () => vol.download(dir),
      () => vol.download(`${dir}/x`, { onProgress: 1 as never }),
      () => pool.importVolume(small, { name: '../x' }),
      () => pool.importVolume(small, { name: 'y', format: 'vmdk' as never }),
    ];
    for (const f of bad) {
      let p: Promise<unknown> | undefined;
      expect(() => (p = f())).not.toThrow();
      await expect(p).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    const vmdk = `${dir}/fake.vmdk`;
    writeFileSync(vmdk, Buffer.concat([Buffer.from('KDMV'), Buffer.alloc(1020)]));
    await expect(pool.importVolume(vmdk, { name: 'v.img' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pool.importVolume(qcow2, { name: 'v.img', format: 'raw' })).rejects.toMatchObject({ code: 'FORMAT_MISMATCH' });
    await expect(pool.importVolume(small, { name: 'bad.raw' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(pool.importVolume(`${dir}/missing`, { name: 'm.raw' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await pool.findVolume('v.img')).toBeUndefined();
  });
});
