// Domain.console and Domain.screenshot on the real daemon, with real boots of the tiny guest
// (examples/lib/tiny-guest.ts, direct kernel boot under TCG):
//  1. one boot shared by the console and screenshot checks: the kernel banner read live, a shell
//     driven through the console, screenshots (PNG and PPM) whose size matches `virsh screenshot`,
//     abort/destroy/force leaving no console open in libvirtd, a clean end when the guest powers off;
//  2. Template.import of the tiny guest's (Debian-like) image, sealed, then a linked clone booted
//     with the console attached before its first instruction: its first-boot report and identity.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Connection, Template, VirtkitError, removeClone, type Domain, type DomainConsole, type StoragePool } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { children, createElement, insertChild } from '../../src/xml/doc.js';
import { parsePpm, pngSize } from '../../src/png.js';
import { SYSTEM_URI, ensureDaemon, scratchPool } from '../helpers/system.js';
import { spawnAsync } from '../helpers/spawn.js';
import { IDENTITY_TAG, TINY_CMDLINE, bootFiles, buildTinyGuest, parseIdentity, tinyGuestXml } from '../../examples/lib/tiny-guest.js';

const tag = `vkcon${process.pid}`;
const VM = `${tag}-vm`;
const BOOT_MS = 400_000;

/** File descriptors of libvirtd that point at `path` (its side of a console is the pty's slave). */
function daemonFds(path: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'libvirtd') continue;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === path) n++;
        } catch {
          /* closed meanwhile */
        }
      }
    } catch {
      /* gone */
    }
  }
  return n;
}
async function eventually(f: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return f();
}
/** Everything a console printed, and a wait for a pattern in it. */
function collect(c: DomainConsole): { text: () => string; until: (re: RegExp, ms?: number) => Promise<string>; ended: Promise<'end' | Error> } {
  let all = '';
  c.on('data', (b: Buffer) => (all += b.toString('latin1')));
  const ended = new Promise<'end' | Error>((resolve) => {
    c.once('end', () => resolve('end'));
    c.once('error', (e) => resolve(e));
  });
  return {
    text: () => all,
    async until(re, ms = BOOT_MS) {
      const end = Date.now() + ms;
      while (!re.test(all)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; console so far:\n${all.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return all;
    },
    ended,
  };
}
const closed = (c: DomainConsole) => new Promise<void>((r) => (c.closed ? r() : c.once('close', () => r())));

describe('Domain.console and Domain.screenshot on a real daemon', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  let removePool: () => Promise<void>;
  let dom: Domain;
  let disk: string;

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, dir, remove: removePool } = await scratchPool(conn, 'console'));
    disk = `${dir}/${VM}.qcow2`;
    await buildTinyGuest({ path: disk, hostname: 'tiny-console' });
    await pool.refresh();
    // Serial 0 on a pty (so the console reaches ttyS0), a VGA screen, the kernel not quiet, and a
    // shell as PID 1: the test drives the guest through the console and powers it off.
    dom = await conn.defineDomain(
      tinyGuestXml({ name: VM, disk, serialLog: `${dir}/${VM}-serial.log`, console: 'pty', video: true, cmdline: 'root=/dev/vda1 rw console=ttyS0 panic=-1 init=/bin/sh' }),
    );
  }, 300_000);

  afterAll(async () => {
    for (const d of await conn.domains().catch(() => [])) {
      if (!d.name.startsWith(tag)) continue;
      if (await d.isActive().catch(() => false)) await d.destroy().catch(() => undefined);
      if (!(await removeClone(conn, d).then(() => true, () => false))) await d.undefine().catch(() => undefined);
    }
    await Template.get(conn, `${tag}-tpl`).then((t) => t.delete(), () => undefined);
    await spawnAsync('chmod', ['-R', 'u+w', dir]);
    await removePool?.();
    await conn?.close();
  });

  it('refuses a stopped domain (DOMAIN_NOT_RUNNING) and bad options (INVALID_ARGUMENT), opening nothing', async () => {
    await expect(dom.console()).rejects.toMatchObject({ code: 'DOMAIN_NOT_RUNNING' });
    await expect(dom.screenshot()).rejects.toMatchObject({ code: 'DOMAIN_NOT_RUNNING' });
    const err = await dom.console().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirtkitError);
    expect((err as VirtkitError).cause).toMatchObject({ code: 'VIR_ERR_OPERATION_INVALID' });
    for (const bad of [{ devname: '' }, { devname: 'a\0b' }, { force: 'yes' }, { safe: 1 }, { signal: {} }, 'serial0'])
      await expect(dom.console(bad as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    for (const bad of [{ screen: -1 }, { screen: 1.5 }, { format: 'gif' }]) await expect(dom.screenshot(bad as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const ac = new AbortController();
    ac.abort();
    await expect(dom.console({ signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('one boot: banner, shell, screenshots, abort/destroy/force leave no console open, a clean end at power-off', async () => {
    // Paused first, so the console is attached before the guest runs its first instruction.
    await dom.start({ paused: true });
    const pty = new DomainXml(await dom.xml()).devices.getElementsByTagName('serial')[0]!.getElementsByTagName('source')[0]!.getAttribute('path')!;
    expect(pty).toMatch(/^\/dev\/pts\/\d+$/);
    expect(daemonFds(pty)).toBe(0);

    const ac = new AbortController();
    const c1 = await dom.console({ signal: ac.signal });
    expect(await eventually(() => daemonFds(pty) > 0)).toBe(true);
    const out1 = collect(c1);
    await dom.resume();
    const banner = await out1.until(/Linux version \S+/);
    expect(banner.match(/Linux version (\S+)/)![1]).toBe(bootFiles().version);
    await out1.until(/\/ # /);

    // Written through the console, read back from it.
    c1.write('echo console-$((6*7))\n');
    await out1.until(/^console-42\r?$/m, 60_000);

    // Backpressure: while nobody reads, what the guest prints waits in libvirt's queue, not in an
    // ever-growing Node buffer; once reading resumes every line arrives, in order. The serial's log
    // file (written by QEMU whatever we read) says when the guest has printed all of it.
    const log = `${dir}/${VM}-serial.log`;
    // Kernel messages (e.g. "random: crng init done") would land in the middle of a number's line.
    c1.write('dmesg -n 1 2>/dev/null || echo 1 >/proc/sys/kernel/printk; echo quiet-$((2+3))\n');
    await out1.until(/^quiet-5\r?$/m, 60_000);
    c1.pause();
    c1.write('seq 1 200000; echo seq-$((1+1))-done\n');
    const printed = () => readFileSync(log, 'latin1').includes('seq-2-done');
    expect(await eventually(printed, 300_000)).toBe(true);
    // ~1.3 MB printed; Node holds at most a high-water mark plus what was in flight.
    expect(c1.readableLength).toBeLessThan(512 << 10);
    c1.resume();
    const all = await out1.until(/^seq-2-done\r?$/m, 300_000);
    // The numbers between the command's echo and the end marker (the shell may echo the line twice).
    const lines = all.slice(all.indexOf('seq 1 200000'), all.lastIndexOf('seq-2-done')).split(/\r?\n/);
    const nums = lines.filter((l) => /^\d+$/.test(l)).map(Number);
    if (nums.length !== 200000) console.log('non-numeric lines:', JSON.stringify(lines.filter((l) => !/^\d+$/.test(l)).slice(0, 10)));
    expect(nums.length).toBe(200000);
    expect(nums.every((n, i) => n === i + 1)).toBe(true);

    // The screen: the size our PNG says is the size virsh's own screenshot says, and the PPM's.
    const png = await dom.screenshot();
    expect(png.mime).toBe('image/png');
    const size = pngSize(png.data)!;
    expect(size.width).toBeGreaterThan(0);
    const file = `${dir}/virsh-shot`;
    const v = await spawnAsync('virsh', ['-c', SYSTEM_URI, 'screenshot', VM, file]);
    expect(v.status, v.stderr).toBe(0);
    const peer = readFileSync(file);
    const peerSize = pngSize(peer) ?? (({ width, height }) => ({ width, height }))(parsePpm(peer));
    expect(size).toEqual(peerSize);
    const ppm = await dom.screenshot({ format: 'ppm' });
    expect(ppm.mime).toBe('image/x-portable-pixmap');
    expect(parsePpm(ppm.data)).toMatchObject(size);

    // A second session without force is refused while c1 is open.
    await expect(dom.console()).rejects.toMatchObject({ code: 'VIR_ERR_OPERATION_FAILED' });

    // Abort: ABORTED, and libvirtd lets go of the pty (a new session opens without force).
    ac.abort();
    expect(await out1.ended).toMatchObject({ code: 'ABORTED' });
    await closed(c1);
    expect(await eventually(() => daemonFds(pty) === 0)).toBe(true);

    const c2 = await dom.console();
    const out2 = collect(c2);
    c2.write('echo second-$((2+3))\n');
    await out2.until(/^second-5\r?$/m, 60_000);
    c2.destroy();
    await closed(c2);
    expect(await eventually(() => daemonFds(pty) === 0)).toBe(true);

    // force: a new session takes the console over; the old one ends.
    const c3 = await dom.console();
    const out3 = collect(c3);
    const c4 = await dom.console({ force: true });
    const out4 = collect(c4);
    await out3.ended;
    await closed(c3);
    c4.write('echo fourth-$((3*3))\n');
    await out4.until(/^fourth-9\r?$/m, 60_000);
    expect(out3.text()).not.toContain('fourth-9');
    expect(await eventually(() => daemonFds(pty) === 1)).toBe(true);

    // The guest powers off: the console ends cleanly ('end', no error) and is closed in the daemon.
    c4.write('/bin/busybox poweroff -f\n');
    expect(await out4.ended).toBe('end');
    await closed(c4);
    await dom.waitForState('shutoff', { timeoutMs: 60_000 });
    expect(daemonFds(pty)).toBe(0);
  }, BOOT_MS + 120_000);

  it('Template.import of the Debian-like image, sealed; a linked clone boots to its first-boot report on the console', async () => {
    const tpl = await Template.import(conn, {
      name: `${tag}-tpl`,
      pool,
      image: disk,
      domain: { memoryMiB: 512, vcpus: 1, type: 'qemu', interfaces: [{ user: true }] },
      seal: { accel: (process.env.VIRTKIT_ACCEL as 'tcg') ?? 'tcg' },
    });
    expect(tpl.state).toBe('ready');
    const clone = await tpl.deploy({ name: `${tag}-c1`, mode: 'linked', identity: { hostname: 'imported1' } });
    // The image has no boot loader (the tiny guest boots its host's kernel directly): give the clone
    // the kernel, and serial 0 on a pty.
    const x = new DomainXml(await clone.xml({ inactive: true }));
    const boot = bootFiles();
    x.os.kernel = boot.kernel;
    x.os.initrd = boot.initrd;
    x.os.cmdline = TINY_CMDLINE;
    x.setFeature('acpi', true);
    for (const s of children(x.devices, 'serial')) x.devices.removeChild(s);
    insertChild(x.devices, createElement(x.doc, 'serial', { type: 'pty' })).appendChild(createElement(x.doc, 'target', { port: 0 }));
    await conn.defineDomain(x.toString());

    await clone.start({ paused: true });
    const c = await clone.console();
    const out = collect(c);
    await clone.resume();
    // (`.` stops at the console's CR: a line ends with CR LF.)
    await out.until(new RegExp(`${IDENTITY_TAG} [^\\n]*\\n`));
    const text = out.text();
    // The first-boot script sealing installed ran and reported on the console.
    expect(text).toMatch(/virtkit-firstboot: /);
    const id = parseIdentity(text.slice(text.indexOf(IDENTITY_TAG)).replace(/\r/g, ''))!;
    expect(id.hostname).toBe('imported1');
    expect(id['machine-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(id['machine-id']).not.toBe('0123456789abcdef0123456789abcdef');
    // The guest powers itself off: a clean end.
    expect(await out.ended).toBe('end');
    await closed(c);
    await clone.waitForState('shutoff', { timeoutMs: 60_000 });
    await removeClone(conn, clone);
    await tpl.delete();
  }, BOOT_MS + 300_000);
});
