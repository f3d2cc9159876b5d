import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, NodeDevice, VirtkitError, parseNodeDevice, type NodeDeviceCap } from '../../src/index.js';
import { nodeDeviceListFlags } from '../../src/node-device.js';

// The test driver's host: 'computer' with three SCSI hosts (scsi_host1 is an fc_host with vport ops).
describe('NodeDevice on test:///default', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await conn.close();
  });

  it('lists devices, filtered by capability', async () => {
    const all = (await conn.nodeDevices()).map((d) => d.name).sort();
    expect(all).toEqual(expect.arrayContaining(['computer', 'scsi_host1', 'scsi_host2']));
    expect((await conn.nodeDevices({ cap: 'system' })).map((d) => d.name)).toEqual(['computer']);
    const scsi = (await conn.nodeDevices({ cap: 'scsi_host' })).map((d) => d.name);
    expect(scsi).toEqual(expect.arrayContaining(['scsi_host1', 'scsi_host2']));
    expect(scsi).not.toContain('computer');
    const either = (await conn.nodeDevices({ cap: ['system', 'scsi_host'] })).map((d) => d.name).sort();
    expect(either).toEqual(all);
    expect(await conn.nodeDevices({ cap: 'pci' })).toEqual([]);
    // the test driver takes no ACTIVE/INACTIVE flags; the bits sent are libvirt's unsigned ones
    expect(nodeDeviceListFlags({ active: true, inactive: true, cap: ['pci', 'net'] })).toBe(2 ** 31 + 2 ** 30 + 2 + 16);
  });

  it('looks a device up and summarises its XML', async () => {
    const d = await conn.nodeDevice('scsi_host1');
    expect(d).toBeInstanceOf(NodeDevice);
    expect(d.name).toBe('scsi_host1');
    expect(inspect(d)).toBe("NodeDevice { name: 'scsi_host1' }");
    const s = await d.summary();
    expect(s.name).toBe('scsi_host1');
    expect(s.parent).toBe('computer');
    expect(s.capabilities).toEqual(['scsi_host', 'fc_host', 'vport_ops']);
    expect(s.pci).toBeUndefined();
    expect(await d.parent()).toBe('computer');
    expect(await d.capabilities()).toContain('scsi_host');
    expect(await d.xml()).toContain('<wwnn>2000000012341234</wwnn>');
    expect((await (await conn.nodeDevice('computer')).summary()).parent).toBeUndefined();
  });

  it('a missing device is VIR_ERR_NO_NODE_DEVICE, or undefined from findNodeDevice', async () => {
    await expect(conn.nodeDevice('pci_0000_99_99_9')).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_NODE_DEVICE' });
    expect(await conn.findNodeDevice('pci_0000_99_99_9')).toBeUndefined();
  });

  it('detach, reattach and reset refuse a device that is not PCI, before any change', async () => {
    const d = await conn.nodeDevice('scsi_host2');
    const before = await d.xml();
    for (const call of [() => d.detach(), () => d.detach({ driver: 'vfio' }), () => d.reattach(), () => d.reset()]) {
      const e = await call().then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(VirtkitError);
      expect(e).toMatchObject({ code: 'NOT_PCI_DEVICE', details: { device: 'scsi_host2' } });
      expect((e as VirtkitError).details?.capabilities).toContain('scsi_host');
    }
    expect(await d.xml()).toBe(before);
    await expect(d.detach({ driver: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.driver' } });
  });

  it('creates a vHBA on the fc_host and destroys it', async () => {
    const before = (await conn.nodeDevices()).length;
    const dev = await conn.createNodeDevice(`<device>
  <parent>scsi_host1</parent>
  <capability type='scsi_host'>
    <capability type='fc_host'>
      <wwnn>2000000012345678</wwnn>
      <wwpn>1000000012345678</wwpn>
    </capability>
  </capability>
</device>`);
    expect((await dev.summary()).parent).toBe('scsi_host1');
    expect((await conn.nodeDevices()).length).toBe(before + 1);
    await dev.destroy();
    expect((await conn.nodeDevices()).length).toBe(before);
    expect(await conn.findNodeDevice(dev.name)).toBeUndefined();
  });

  it('bad input is INVALID_ARGUMENT naming the argument', async () => {
    await expect(conn.nodeDevices({ cap: 'gpu' as NodeDeviceCap })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'filter.cap' } });
    await expect(conn.nodeDevices({ cap: ['pci', 'toString' as NodeDeviceCap] })).rejects.toMatchObject({ details: { argument: 'filter.cap[1]' } });
    await expect(conn.nodeDevices({ active: 1 as unknown as boolean })).rejects.toMatchObject({ details: { argument: 'filter.active' } });
    await expect(conn.nodeDevice('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.nodeDevice('a\0b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.createNodeDevice(' ')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.defineNodeDevice('<device>')).rejects.toMatchObject({ name: 'VirtError' });
  });
});

describe('parseNodeDevice', () => {
  it('reads a PCI device: address, vendor, product, class, IOMMU group, driver', () => {
    const s = parseNodeDevice(`<device>
  <name>pci_0000_00_1f_2</name>
  <path>/sys/devices/pci0000:00/0000:00:1f.2</path>
  <parent>computer</parent>
  <driver><name>ahci</name></driver>
  <capability type='pci'>
    <class>0x010601</class>
    <domain>0</domain><bus>0</bus><slot>31</slot><function>2</function>
    <product id='0x2922'>82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]</product>
    <vendor id='0x8086'>Intel Corporation</vendor>
    <iommuGroup number='7'><address domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/></iommuGroup>
    <capability type='virt_functions'/>
  </capability>
</device>`);
    expect(s).toMatchObject({
      name: 'pci_0000_00_1f_2', parent: 'computer', path: '/sys/devices/pci0000:00/0000:00:1f.2', driver: 'ahci',
      capabilities: ['pci', 'virt_functions'],
      pci: { address: '0000:00:1f.2', class: '0x010601', iommuGroup: 7, vendor: { id: '0x8086', name: 'Intel Corporation' }, product: { id: '0x2922' } },
    });
  });
  it('reads a NIC, a disk and a mediated device', () => {
    expect(parseNodeDevice(`<device><name>net_eth0_52_54_00_12_34_56</name><parent>pci_0000_00_03_0</parent>
      <capability type='net'><interface>eth0</interface><address>52:54:00:12:34:56</address><capability type='80203'/></capability></device>`))
      .toMatchObject({ net: { interface: 'eth0', mac: '52:54:00:12:34:56' }, capabilities: ['net', '80203'] });
    expect(parseNodeDevice(`<device><name>block_vda</name><capability type='storage'><block>/dev/vda</block><model>virtio</model></capability></device>`).storage)
      .toEqual({ block: '/dev/vda', model: 'virtio' });
    expect(parseNodeDevice(`<device><name>mdev_x</name><capability type='mdev'><type id='nvidia-11'/><uuid>30820a6f-b1a5-4503-91ca-0c10ba58692a</uuid></capability></device>`).mdev)
      .toEqual({ type: 'nvidia-11', uuid: '30820a6f-b1a5-4503-91ca-0c10ba58692a' });
  });
  it('refuses what is not a <device>', () => {
    expect(() => parseNodeDevice('<network/>')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
