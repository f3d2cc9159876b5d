// setMemory / setVcpus on test:///default, and device XML for attach/detach/update (the test
// driver has no hotplug: the calls reach libvirt and come back VIR_ERR_NO_SUPPORT, while bad
// input is refused before any call; the real hotplug runs in test/integration/domain-jobs.test.ts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, Domain, deviceXml, diskDeviceXml, interfaceDeviceXml, DomainXml } from '../../src/index.js';

describe('memory and vCPUs on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  const name = `vk-cfg-${process.pid}`;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.defineDomain(`<domain type='test'><name>${name}</name><memory unit='KiB'>262144</memory><currentMemory unit='KiB'>131072</currentMemory><vcpu current='1'>4</vcpu><os><type>hvm</type></os></domain>`);
  });
  afterAll(async () => {
    if (await dom.isActive().catch(() => false)) await dom.destroy();
    await dom.undefine().catch(() => undefined);
    await conn.close();
  });

  it('sets the persistent and the live memory, and the maximum', async () => {
    await dom.setMemory(100_000, { config: true });
    expect(new DomainXml(await dom.xml({ inactive: true })).currentMemoryKiB).toBe(100_000);
    await dom.setMemory(200_000, { config: true, maximum: true });
    expect((await dom.info()).maxMemoryKiB).toBe(200_000);
    await dom.start();
    await dom.setMemory(150_000, { live: true });
    expect((await dom.info()).memoryKiB).toBe(150_000);
    await expect(dom.setMemory(10_000_000, { live: true })).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_INVALID_ARG' });
    expect((await dom.info()).memoryKiB).toBe(150_000);
    await dom.destroy();
  });

  it('sets the vCPU count within the maximum', async () => {
    expect(await dom.vcpuCount({ config: true, maximum: true })).toBe(4);
    await dom.setVcpus(3, { config: true });
    expect(await dom.vcpuCount({ config: true })).toBe(3);
    await dom.setVcpus(2, { config: true, maximum: true });
    expect(await dom.vcpuCount({ config: true, maximum: true })).toBe(2);
    await expect(dom.setVcpus(5, { config: true })).rejects.toMatchObject({ name: 'VirtError' });
    expect(await dom.vcpuCount({ config: true })).toBe(2);
  });

  it('refuses bad input before any call', async () => {
    for (const bad of [0, -1, 1.5, NaN, '1' as unknown as number]) await expect(dom.setMemory(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'kib' } });
    await expect(dom.setMemory(1024, { live: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.live' } });
    await expect(dom.setVcpus(0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'count' } });
    await expect(dom.setVcpus(1, null as unknown as object)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await dom.vcpuCount({ config: true })).toBe(2);
  });

  it('sends device XML to libvirt, refusing malformed XML and bad specs first', async () => {
    const disk = { disk: { path: '/var/lib/x/data.qcow2', format: 'qcow2', target: 'vdb' } };
    await expect(dom.attachDevice(disk, { config: true })).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_SUPPORT' });
    await expect(dom.detachDevice({ alias: 'ua-x' })).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_SUPPORT' });
    await expect(dom.updateDevice(disk, { force: true })).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_SUPPORT' });
    await expect(dom.attachDevice('<disk><oops></disk>')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'device' } });
    await expect(dom.attachDevice('<domain/>')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.attachDevice({ disk: { ...disk.disk, path: 'relative.qcow2' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'device.disk.path' } });
    await expect(dom.attachDevice({ disk: disk.disk, interface: { network: 'default' } } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.detachDevice({ alias: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'device.alias' } });
    await expect(dom.updateDevice(disk, { force: 1 as unknown as boolean })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.force' } });
  });
});

describe('device XML (pure)', () => {
  it('builds a disk and a NIC through the XML layer', () => {
    expect(diskDeviceXml({ path: "/v/a&b'.qcow2", format: 'qcow2', target: 'vdc' })).toBe(
      `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/v/a&amp;b&apos;.qcow2'/><target dev='vdc' bus='virtio'/></disk>`,
    );
    expect(diskDeviceXml({ path: '/dev/sdx', format: 'raw', target: 'sdb', type: 'block', readonly: true })).toBe(
      `<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/sdx'/><target dev='sdb' bus='scsi'/><readonly/></disk>`,
    );
    expect(interfaceDeviceXml({ network: 'default', mac: '52:54:00:AA:bb:01' })).toBe(
      `<interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='default'/><model type='virtio'/></interface>`,
    );
    expect(interfaceDeviceXml({ user: true, model: 'e1000' })).toBe(`<interface type='user'><model type='e1000'/></interface>`);
    expect(deviceXml("<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>")).toContain('<rng');
  });
  it('refuses what libvirt would misread', () => {
    const bad = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    bad(() => interfaceDeviceXml({ network: 'a', bridge: 'b' }));
    bad(() => interfaceDeviceXml({}));
    bad(() => interfaceDeviceXml({ network: "x' y" }));
    bad(() => interfaceDeviceXml({ user: true, mac: 'zz' }));
    bad(() => diskDeviceXml({ path: '/a', format: 'qcow2', target: 'VDA' }));
    bad(() => diskDeviceXml({ path: '/a', format: 'nope!', target: 'vda' }));
    bad(() => deviceXml('<disk>&bad;</disk>'));
    bad(() => deviceXml({} as never));
  });
});
