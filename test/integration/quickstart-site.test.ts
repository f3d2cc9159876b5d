// Where the quick start runs (examples/lib/quickstart-site.ts): as root with no connection given,
// a private libvirtd in a network namespace and process group of its own with the clones' isolated
// network; its close() ends the guests first (libvirtd leaves QEMU running), then the daemon and
// dnsmasq. Given a connection, it uses it and says why there is no network.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QUICKSTART_NETWORK, openQuickstartSite, type QuickstartSite } from '../../examples/lib/quickstart-site.js';
import { netNamespaceOf } from '../helpers/net-bed.js';

const root = process.getuid?.() === 0;
const haveDnsmasq = existsSync('/usr/sbin/dnsmasq');

/** State and process group of a pid (fields 3 and 5 of /proc/<pid>/stat), or undefined when gone. */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}
// This machine's pid 1 reaps orphans late: a zombie has ended.
const ended = (pid: number) => ['Z', 'X', undefined].includes(procStat(pid)?.state);

// A guest on the quick start's network (diskless: its firmware keeps looking for a boot device);
// resolves with its QEMU pid, from the bed daemon's pid file.
async function startProbe(site: QuickstartSite): Promise<number> {
  const bed = site.bed!;
  const xml = `<domain type='qemu'><name>qs-probe</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices><interface type='network'><source network='${QUICKSTART_NETWORK.name}'/><model type='virtio'/></interface></devices></domain>`;
  const file = join(bed.daemon.dir, 'qs-probe.xml');
  writeFileSync(file, xml);
  await bed.virsh(['create', file]);
  const qemu = Number(readFileSync(join(bed.daemon.dir, 'root', 'run', 'qemu', 'qs-probe.pid'), 'utf8').trim());
  expect(readFileSync(`/proc/${qemu}/comm`, 'utf8')).toMatch(/^qemu-system/);
  expect(netNamespaceOf(qemu)).toBe(bed.netns);
  return qemu;
}

async function openBedSite(): Promise<QuickstartSite> {
  const saved = process.env.LIBVIRT_DEFAULT_URI;
  delete process.env.LIBVIRT_DEFAULT_URI;
  try {
    return await openQuickstartSite();
  } finally {
    if (saved !== undefined) process.env.LIBVIRT_DEFAULT_URI = saved;
  }
}

describe('quick start site', () => {
  let site: QuickstartSite | undefined;
  afterEach(async () => {
    await site?.close();
    site = undefined;
  });

  it('uses a connection given to it, without a network, and says why', async () => {
    site = await openQuickstartSite('test:///default');
    expect(site.conn.uri).toBe('test:///default');
    expect(site.bed).toBeUndefined();
    expect(site.network).toBeUndefined();
    expect(site.noNetwork).toContain('test:///default');
  });

  it.skipIf(!root || !haveDnsmasq)('as root: a private daemon in its own network namespace and process group with the isolated network; close() ends its guests, dnsmasq and the daemon', async () => {
    site = await openBedSite();
    const { bed, network, conn } = site;
    expect(bed && network).toBeTruthy();
    expect(site.noNetwork).toBeUndefined();
    expect(conn.uri).toBe(bed!.uri);
    expect(bed!.netns).not.toBe(netNamespaceOf('self'));
    // Ctrl-C at a terminal goes to the foreground process group: not the daemon's.
    expect(procStat(bed!.daemon.pid)!.pgrp).toBe(bed!.daemon.pid);
    expect(procStat(bed!.daemon.pid)!.pgrp).not.toBe(procStat(process.pid)!.pgrp);
    expect(await network!.isActive()).toBe(true);
    expect((await network!.parsed()).mode).toBe('isolated');
    expect((await bed!.exec('ip', ['-o', '-4', 'addr', 'show', 'dev', QUICKSTART_NETWORK.bridge])).stdout).toContain(`inet ${QUICKSTART_NETWORK.ipv4.address}/24`);
    expect((await bed!.exec('ip', ['-o', 'link'])).stdout).toContain(QUICKSTART_NETWORK.bridge);
    expect(existsSync(`/sys/class/net/${QUICKSTART_NETWORK.bridge}`)).toBe(false); // sysfs here is the host's
    const dnsmasq = bed!.dnsmasqPid(QUICKSTART_NETWORK.name);
    expect(dnsmasq).toBeGreaterThan(0);

    const qemu = await startProbe(site);

    const dir = bed!.daemon.dir;
    await site.close();
    await site.close(); // idempotent
    site = undefined;
    expect(ended(qemu)).toBe(true);
    expect(ended(dnsmasq!)).toBe(true);
    expect(bed!.daemon.running).toBe(false);
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  it.skipIf(!root || !haveDnsmasq)('the bed\'s stop() alone (the daemon gone first) ends a guest\'s QEMU by its pid file', async () => {
    site = await openBedSite();
    const qemu = await startProbe(site);
    const dnsmasq = site.bed!.dnsmasqPid(QUICKSTART_NETWORK.name)!;
    site.bed!.daemon.kill('SIGKILL'); // as when this process dies: libvirtd gone, QEMU and dnsmasq left
    expect(await site.bed!.daemon.waitForExit()).toBe(true);
    expect(ended(qemu)).toBe(false);
    await site.bed!.stop();
    expect(ended(qemu)).toBe(true);
    expect(ended(dnsmasq)).toBe(true);
  }, 120_000);
});
