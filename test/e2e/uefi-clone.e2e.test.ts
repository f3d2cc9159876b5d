// Issue 13 item 5 on a real libvirtd with Debian's OVMF: a UEFI source VM whose variable store
// holds a variable of ours becomes a template (which keeps a copy of that store), a linked clone
// gets a copy of its own and boots under OVMF (TCG, direct kernel boot with OVMF as loader: the
// firmware runs on the clone's store). The variable is still in the clone's store after the boot,
// the store the firmware wrote is the clone's file, the template's and the source's are untouched,
// and the clone's store goes with the clone. One VM boot.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Connection, Template, removeClone, type StoragePool } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, scratchPool, removeTagged } from '../helpers/system.js';
import { IDENTITY_TAG, buildTinyGuest, parseIdentity, tinyGuestXml } from '../../examples/lib/tiny-guest.js';
import { DomainXml } from '../../src/xml/domain.js';

const CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const tag = `uefi${process.pid}`;
const SRC = `${tag}-src`;
const TPL = `${tag}-tpl`;
const CLONE = `${tag}-c1`;
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

// edk2's variable store (MdeModulePkg/Include/Guid/VariableFormat.h): a firmware volume header,
// a VARIABLE_STORE_HEADER (16-byte GUID, Size, Format 0x5A, State 0xFE, 6 reserved bytes), then
// AUTHENTICATED_VARIABLE_HEADERs (60 bytes: StartId 0x55AA, State, Reserved, Attributes,
// MonotonicCount, TimeStamp[16], PubKeyIndex, NameSize, DataSize, VendorGuid[16]), each followed
// by its UTF-16 name and its data, 4-byte aligned. VAR_ADDED = 0x3F.
const VENDOR = Buffer.from('6b1f4e0f9a3c4d2e8b7a5c1d2e3f4a5b', 'hex');
function storeStart(fd: Buffer): number {
  if (fd.toString('latin1', 0x28, 0x2c) !== '_FVH') throw new Error('not a firmware volume');
  const hl = fd.readUInt16LE(0x30);
  if (fd[hl + 20] !== 0x5a || fd[hl + 21] !== 0xfe) throw new Error('variable store not formatted/healthy');
  return hl + 28;
}
function variables(fd: Buffer): { name: string; vendor: string; state: number; data: Buffer }[] {
  const out = [];
  let off = storeStart(fd);
  while (off + 60 <= fd.length && fd.readUInt16LE(off) === 0x55aa) {
    const state = fd[off + 2]!;
    const nameSize = fd.readUInt32LE(off + 36);
    const dataSize = fd.readUInt32LE(off + 40);
    const vendor = fd.subarray(off + 44, off + 60).toString('hex');
    const name = fd.toString('utf16le', off + 60, off + 60 + nameSize).replace(/\0+$/, '');
    out.push({ name, vendor, state, data: Buffer.from(fd.subarray(off + 60 + nameSize, off + 60 + nameSize + dataSize)) });
    off = (off + 60 + nameSize + dataSize + 3) & ~3;
  }
  return out;
}
/** Live variables: VAR_ADDED, possibly in delete transition (edk2's rule). */
const live = (fd: Buffer) => variables(fd).filter((v) => v.state === 0x3f || v.state === 0x3e);
/** A copy of an empty OVMF store with one non-volatile variable added. */
function storeWith(empty: Buffer, name: string, data: Buffer): Buffer {
  const fd = Buffer.from(empty);
  const off = storeStart(fd);
  if (fd.readUInt16LE(off) !== 0xffff) throw new Error('store not empty');
  const n = Buffer.from(`${name}\0`, 'utf16le');
  const h = Buffer.alloc(60);
  h.writeUInt16LE(0x55aa, 0);
  h[2] = 0x3f;
  h.writeUInt32LE(0x7, 4); // NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS
  h.writeUInt32LE(n.length, 36);
  h.writeUInt32LE(data.length, 40);
  VENDOR.copy(h, 44);
  Buffer.concat([h, n, data]).copy(fd, off);
  return fd;
}

describe.skipIf(!existsSync(CODE) || !existsSync(VARS))('UEFI clones (OVMF)', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  let removePool: () => Promise<void>;
  const marker = randomBytes(16);

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, dir, remove: removePool } = await scratchPool(conn, 'uefi'));
    await buildTinyGuest({ path: `${dir}/${SRC}.qcow2`, hostname: 'tiny-uefi' });
    writeFileSync(`${dir}/${SRC}_VARS.fd`, storeWith(readFileSync(VARS), 'VirtkitMarker', marker));
    await pool.refresh();
    const x = new DomainXml(tinyGuestXml({ name: SRC, disk: `${dir}/${SRC}.qcow2`, serialLog: `${dir}/${SRC}-serial.log`, type: 'qemu' }));
    x.os.setLoader({ path: CODE, readonly: true, type: 'pflash' });
    x.os.setNvram({ path: `${dir}/${SRC}_VARS.fd`, template: VARS });
    await conn.defineDomain(x.toString());
  });

  afterAll(async () => {
    await removeTagged(conn, tag, dir, removePool);
  });

  it('template and clone each get a copy of the VARS; the clone boots on its own, which keeps the source\'s variable', async () => {
    const srcVars = `${dir}/${SRC}_VARS.fd`;
    const srcSum = sha256(srcVars);
    expect(live(readFileSync(srcVars)).map((v) => v.name)).toEqual(['VirtkitMarker']);

    // The template keeps its own copy of the source's store.
    const tpl = await Template.create(conn, { from: await conn.domain(SRC), name: TPL, pool, seal: false });
    const tplVars = `${dir}/${TPL}_VARS.fd`;
    const tplOs = new DomainXml(await tpl.domain.xml({ inactive: true })).os;
    expect(tplOs.nvram).toEqual({ path: tplVars, template: VARS });
    expect(tplOs.loader).toMatchObject({ path: CODE, type: 'pflash', readonly: true });
    expect(sha256(tplVars)).toBe(srcSum);
    expect(statSync(tplVars).ino).not.toBe(statSync(srcVars).ino);
    expect(await pool.findVolume(`${TPL}_VARS.fd`)).toBeDefined();

    // The clone gets a copy of the template's, a separate file.
    const clone = await tpl.deploy({ name: CLONE, mode: 'linked' });
    const cloneVars = `${dir}/${CLONE}_VARS.fd`;
    expect(new DomainXml(await clone.xml({ inactive: true })).os.nvram).toEqual({ path: cloneVars, template: VARS });
    expect(sha256(cloneVars)).toBe(srcSum);
    expect(statSync(cloneVars).ino).not.toBe(statSync(tplVars).ino);
    const tplSum = sha256(tplVars);

    // One boot: OVMF runs on the clone's store, then direct kernel boot of the tiny guest.
    await clone.start();
    await clone.waitForState('shutoff', { timeoutMs: 540_000, intervalMs: 500 });
    const log = readFileSync(`${dir}/${CLONE}-serial.log`, 'utf8');
    // OVMF writes to the same serial port before the kernel (escape sequences, no final newline).
    const at = log.indexOf(IDENTITY_TAG);
    const id = at < 0 ? undefined : parseIdentity(log.slice(at));
    if (!id) console.log(`clone serial log:\n${JSON.stringify(log.slice(-3000))}`);
    expect(id?.hostname).toBe('tiny-uefi');

    const after = readFileSync(cloneVars);
    const vars = live(after);
    console.log('clone VARS after boot:', vars.map((v) => v.name).join(', '));
    // The firmware wrote the clone's store (its own variables) and kept the template's variable.
    expect(sha256(cloneVars)).not.toBe(srcSum);
    expect(vars.map((v) => v.name)).toEqual(expect.arrayContaining(['BootOrder', 'PlatformLang']));
    const mine = vars.filter((v) => v.name === 'VirtkitMarker' && v.vendor === VENDOR.toString('hex'));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.data.equals(marker)).toBe(true);
    // Nobody else's store was touched.
    expect(sha256(tplVars)).toBe(tplSum);
    expect(sha256(srcVars)).toBe(srcSum);

    // The clone's store goes with the clone, the template's with the template; the source keeps its own.
    await removeClone(conn, clone);
    expect(existsSync(cloneVars)).toBe(false);
    expect(await pool.findVolume(`${CLONE}_VARS.fd`)).toBeUndefined();
    await tpl.delete();
    expect(existsSync(tplVars)).toBe(false);
    expect(await pool.findVolume(`${TPL}_VARS.fd`)).toBeUndefined();
    expect(sha256(srcVars)).toBe(srcSum);
  }, 600_000);
});
