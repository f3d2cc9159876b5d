// Domain XML model and the clone transform, on real libvirt XML and a rich hand-written domain.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DomainXml } from '../../src/xml/domain.js';
import { cloneDomain, cloneDomainXml, type CloneOptions } from '../../src/xml/clone.js';
import { identityOemStrings, parseOemStrings } from '../../src/xml/identity.js';
import { VIRTKIT_NS, parseTemplateMetadata, templateMetadataXml } from '../../src/xml/metadata.js';
import { VirtkitError } from '../../src/errors.js';

/** `virsh -c test:///default dumpxml test` (libvirt 9.0), as libvirt prints it. */
const TEST_XML = `<domain type='test' id='1'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default'/>
      <target dev='testnet0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </memballoon>
  </devices>
</domain>

`;

/** UEFI + NVRAM, TPM, fixed VNC/SPICE ports, guest agent, CD-ROM, read-only + shareable disks,
 *  two NICs, unknown elements, a comment and foreign metadata (double-quoted as libvirt dumps it). */
const RICH_XML = `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>golden</name>
  <uuid>0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01</uuid>
  <genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90d</genid>
  <title>Golden &amp; &quot;shiny&quot; &lt;image&gt;</title>
  <description>multi
line &apos;text&apos;</description>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
    <virtkit:template xmlns:virtkit="https://virtkit.dev/xmlns/template/1" role="template" state="ready" version="3">
      <sealedAt>2025-01-02T03:04:05.000Z</sealedAt>
    </virtkit:template>
  </metadata>
  <memory unit='GiB'>2</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <sysinfo type='smbios'>
    <system>
      <entry name='manufacturer'>ACME</entry>
      <entry name='uuid'>0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01</entry>
    </system>
    <oemStrings>
      <entry>vendor:keep-me</entry>
    </oemStrings>
  </sysinfo>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/libvirt/qemu/nvram/golden_VARS.fd</nvram>
  </os>
  <features>
    <acpi/>
    <apic/>
    <smm state='on'/>
  </features>
  <cpu mode='host-model' check='partial'/>
  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <!-- the system disk -->
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/golden.qcow2' index='2'/>
      <backingStore type='file' index='3'>
        <format type='qcow2'/>
        <source file='/var/lib/libvirt/images/base.qcow2'/>
        <backingStore/>
      </backingStore>
      <target dev='vda' bus='virtio'/>
      <serial>golden-root</serial>
      <boot order='1'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source dev='/dev/vg0/golden-data'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/shared/reference.img'/>
      <target dev='vdc' bus='virtio'/>
      <readonly/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/shared/cluster.img'/>
      <target dev='vdd' bus='virtio'/>
      <shareable/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/debian-12.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <controller type='usb' index='0' model='qemu-xhci'/>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:01'/>
      <source network='default'/>
      <target dev='vnet7'/>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:aa:bb:02'/>
      <source bridge='br0'/>
      <model type='e1000e'/>
    </interface>
    <serial type='pty'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-3-golden/org.qemu.guest_agent.0'/>
      <target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>
      <address type='virtio-serial' controller='0' bus='0' port='1'/>
    </channel>
    <channel type='spicevmc'>
      <target type='virtio' name='com.redhat.spice.0'/>
      <address type='virtio-serial' controller='0' bus='0' port='2'/>
    </channel>
    <graphics type='vnc' port='5901' autoport='no' websocket='5701' listen='0.0.0.0'>
      <listen type='address' address='0.0.0.0'/>
    </graphics>
    <graphics type='spice' port='5930' tlsPort='5931' autoport='no'>
      <listen type='address' address='127.0.0.1'/>
      <image compression='off'/>
    </graphics>
    <tpm model='tpm-crb'>
      <backend type='emulator' version='2.0' persistent_state='yes'/>
    </tpm>
    <futuregadget flavour='x' level='11'>unknown &amp; kept</futuregadget>
    <memballoon model='virtio'/>
  </devices>
  <seclabel type='dynamic' model='selinux' relabel='yes'>
    <label>system_u:system_r:svirt_t:s0:c1,c2</label>
    <imagelabel>system_u:object_r:svirt_image_t:s0:c1,c2</imagelabel>
  </seclabel>
  <qemu:commandline>
    <qemu:arg value='-newarg'/>
  </qemu:commandline>
</domain>
`;

const virsh = (() => {
  try {
    execFileSync('virsh', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

/** Defines XML in libvirt's in-process test driver (no daemon) and returns its dumpxml. */
function viaTestDriver(xml: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'virtkit-xml-'));
  try {
    const f = join(dir, 'd.xml');
    writeFileSync(f, xml.replace(/^<domain type='\w+'/, "<domain type='test'"));
    return execFileSync('virsh', ['-q', '-c', 'test:///default', `define ${f}; dumpxml ${name}`], { encoding: 'utf8', stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const linked: CloneOptions['diskMap'] = (d) => ({ path: `/pool/web1-${d.target}.qcow2`, format: 'qcow2' });
const cloneRich = (extra: Partial<CloneOptions> = {}) =>
  cloneDomain(RICH_XML, { name: 'web1', diskMap: linked, nvramPath: '/nv/web1_VARS.fd', ...extra });

function expectInvalid(fn: () => unknown, pattern?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VirtkitError);
    expect((e as VirtkitError).code).toBe('INVALID_ARGUMENT');
    if (pattern) expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected an INVALID_ARGUMENT VirtkitError');
}

describe('DomainXml round trip', () => {
  it('gives back libvirt output byte for byte', () => {
    expect(new DomainXml(TEST_XML).toString()).toBe(TEST_XML);
    expect(new DomainXml(RICH_XML).toString()).toBe(RICH_XML);
  });

  it.skipIf(!virsh)('gives back a live test-driver dump byte for byte (metadata included)', () => {
    const dumped = viaTestDriver(RICH_XML, 'golden');
    expect(dumped).toContain('<libosinfo:os id="http://debian.org/debian/12"/>');
    expect(new DomainXml(dumped).toString()).toBe(dumped);
  });

  it('reads the typed fields', () => {
    const d = new DomainXml(RICH_XML);
    expect(d.name).toBe('golden');
    expect(d.title).toBe('Golden & "shiny" <image>');
    expect(d.description).toBe("multi\nline 'text'");
    expect(d.type).toBe('kvm');
    expect(d.memoryKiB).toBe(2 * 1024 * 1024);
    expect(d.currentMemoryKiB).toBe(1048576);
    expect(d.vcpus).toBe(2);
    expect(d.features).toEqual(['acpi', 'apic', 'smm']);
    expect(d.os.toJSON()).toMatchObject({
      type: 'hvm', arch: 'x86_64', machine: 'pc-q35-7.2',
      loader: { path: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', readonly: true, secure: true, type: 'pflash' },
      nvram: { path: '/var/lib/libvirt/qemu/nvram/golden_VARS.fd', template: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' },
    });
    const [vda, vdb, vdc, vdd, sda] = d.disks;
    expect(vda!.toJSON()).toMatchObject({ device: 'disk', type: 'file', format: 'qcow2', path: '/var/lib/libvirt/images/golden.qcow2', target: 'vda', bus: 'virtio' });
    expect(vda!.backingStore).toEqual([{ type: 'file', path: '/var/lib/libvirt/images/base.qcow2', format: 'qcow2' }]);
    expect(vdb!.toJSON()).toMatchObject({ type: 'block', path: '/dev/vg0/golden-data', format: 'raw' });
    expect([vdc!.readonly, vdd!.shareable, sda!.device]).toEqual([true, true, 'cdrom']);
    expect(d.interfaces.map((i) => i.toJSON())).toEqual([
      { type: 'network', mac: '52:54:00:aa:bb:01', network: 'default', bridge: undefined, model: 'virtio', targetDev: 'vnet7' },
      { type: 'bridge', mac: '52:54:00:aa:bb:02', network: undefined, bridge: 'br0', model: 'e1000e', targetDev: undefined },
    ]);
    expect(d.graphics.map((g) => [g.type, g.port, g.autoport, g.listen])).toEqual([['vnc', 5901, false, '0.0.0.0'], ['spice', 5930, false, '127.0.0.1']]);
    expect(d.channels[0]!.toJSON()).toMatchObject({ type: 'unix', sourceMode: 'bind', targetName: 'org.qemu.guest_agent.0', targetState: 'connected' });
    expect(d.tpms[0]!.toJSON()).toEqual({ model: 'tpm-crb', backendType: 'emulator', version: '2.0', persistentState: true });
    expect(d.serials[0]!.toJSON()).toMatchObject({ kind: 'serial', type: 'pty', targetType: 'isa-serial', targetPort: 0 });
    expect(d.consoles[0]!.targetType).toBe('serial');
    expect(d.smbiosSystemUuid).toBe('0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01');
    expect(d.oemStrings).toEqual(['vendor:keep-me']);
    expect(parseTemplateMetadata(RICH_XML)).toEqual({ role: 'template', state: 'ready', version: 3, sealedAt: '2025-01-02T03:04:05.000Z' });
  });

  it('edits in place and leaves the rest alone', () => {
    const d = new DomainXml(TEST_XML);
    d.name = 'renamed';
    d.memoryKiB = 1024 * 1024;
    d.disks[0]!.format = 'qcow2';
    const out = d.toString();
    expect(out).toContain('<name>renamed</name>');
    expect(out).toContain("<memory unit='KiB'>1048576</memory>");
    expect(out).toContain("      <driver name='qemu' type='qcow2'/>\n      <source file='/guest/diskimage1'/>");
    expect(out.replace('renamed', 'test').replace('1048576', '8388608').replace("      <driver name='qemu' type='qcow2'/>\n", '')).toBe(TEST_XML);
  });

  it('gets, sets and removes metadata by namespace', () => {
    const d = new DomainXml(RICH_XML);
    d.setMetadata('urn:acme', 'acme', '<cfg tier="gold"><owner>ops &amp; co</owner></cfg>');
    expect(d.getMetadata('urn:acme')).toBe('<acme:cfg xmlns:acme="urn:acme" tier="gold"><owner>ops &amp; co</owner></acme:cfg>');
    d.setMetadata('urn:acme', 'acme', '<cfg tier="silver"/>');
    expect(new DomainXml(d.toString()).getMetadata('urn:acme')).toBe('<acme:cfg xmlns:acme="urn:acme" tier="silver"/>');
    expect(d.removeMetadata('urn:acme')).toBe(true);
    expect(d.toString()).toBe(RICH_XML);
    expect(d.getMetadata('http://libosinfo.org/xmlns/libvirt/domain/1.0')).toContain('<libosinfo:os id="http://debian.org/debian/12"/>');
  });
});

describe('DomainXml.create', () => {
  const base = { name: 'vm1', type: 'qemu' as const, memoryMiB: 256, vcpus: 1, disks: [{ path: '/img/vm1.qcow2', format: 'qcow2', target: 'vda' }] };

  it('builds a direct-kernel-boot guest with a serial log', () => {
    const d = DomainXml.create({
      ...base, kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img', cmdline: 'console=ttyS0 root=/dev/vda',
      interfaces: [{ network: 'default', mac: '52:54:00:00:00:01' }, { user: true }], serialLog: '/var/log/vm1.log',
      oemStrings: ['virtkit:v=1'],
    });
    const x = new DomainXml(d.toString());
    expect(x.toJSON()).toMatchObject({ name: 'vm1', type: 'qemu', memoryKiB: 262144, vcpus: 1, features: ['acpi', 'apic'], oemStrings: ['virtkit:v=1'] });
    expect(x.os.toJSON()).toMatchObject({ kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img', cmdline: 'console=ttyS0 root=/dev/vda', smbiosMode: 'sysinfo', boot: [] });
    expect(x.disks[0]!.toJSON()).toMatchObject({ format: 'qcow2', path: '/img/vm1.qcow2', bus: 'virtio' });
    expect(x.interfaces.map((i) => i.type)).toEqual(['network', 'user']);
    expect(x.interfaces[1]!.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(x.serials[0]!.toJSON()).toMatchObject({ type: 'file', path: '/var/log/vm1.log' });
    expect(x.consoles[0]!.toJSON()).toMatchObject({ type: 'pty', targetType: 'virtio' });
    expect(x.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.toString()).toMatch(/^<domain type='qemu'>\n  <name>vm1<\/name>\n  <uuid>/);
  });

  it.skipIf(!virsh)('builds XML libvirt accepts', () => {
    const d = DomainXml.create({ ...base, name: 'vm-ok', guestAgent: true, vnc: true, interfaces: [{ network: 'default' }], serialLog: '/tmp/x.log' });
    expect(viaTestDriver(d.toString(), 'vm-ok')).toContain('<name>vm-ok</name>');
  });

  it('escapes names and text with <, &, quotes', () => {
    const nasty = `a<b & "c" 'd' >e`;
    const d = DomainXml.create({ ...base, name: nasty, cmdline: `x="1 & 2" y='<3>'` });
    const back = new DomainXml(d.toString());
    expect(back.name).toBe(nasty);
    expect(back.os.cmdline).toBe(`x="1 & 2" y='<3>'`);
    expect(d.toString()).toContain('<name>a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;e</name>');
  });

  it('refuses bad input with INVALID_ARGUMENT', () => {
    expectInvalid(() => DomainXml.create({ ...base, name: 'a/b' }), /'\/'/);
    expectInvalid(() => DomainXml.create({ ...base, name: '' }));
    expectInvalid(() => DomainXml.create({ ...base, memoryMiB: 0 }));
    expectInvalid(() => DomainXml.create({ ...base, vcpus: 1.5 }));
    expectInvalid(() => DomainXml.create({ ...base, disks: [{ path: 'rel.qcow2', format: 'qcow2', target: 'vda' }] }));
    expectInvalid(() => DomainXml.create({ ...base, disks: [...base.disks, ...base.disks] }), /twice/);
    expectInvalid(() => DomainXml.create({ ...base, interfaces: [{ network: 'a', bridge: 'b' }] }));
    expectInvalid(() => DomainXml.create({ ...base, interfaces: [{ user: true, mac: '01:00:00:00:00:01' }] }), /multicast/);
    expectInvalid(() => new DomainXml('<domain><name>x</domain>'), /well-formed/);
    expectInvalid(() => new DomainXml('<pool/>'), /<domain>/);
  });
});

describe('cloneDomainXml', () => {
  it('sets the new name and UUID (and the SMBIOS system UUID), empties genid, drops id', () => {
    const uuid = '11111111-2222-4333-8444-555555555555';
    const c = new DomainXml(cloneRich({ uuid }).xml);
    expect([c.name, c.uuid, c.smbiosSystemUuid]).toEqual(['web1', uuid, uuid]);
    expect(c.toString()).toContain('<genid/>');
    expect(new DomainXml(cloneDomainXml(TEST_XML, { name: 't2', diskMap: linked })).root.hasAttribute('id')).toBe(false);
    expect(new DomainXml(cloneRich().xml).uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  });

  it('gives every NIC a new MAC (given or random, unique) and drops host tap names', () => {
    const r = cloneRich({ macs: ['52:54:00:12:34:56'] });
    const c = new DomainXml(r.xml);
    expect(c.interfaces.map((i) => i.mac)).toEqual(r.macs);
    expect(r.macs[0]).toBe('52:54:00:12:34:56');
    expect(r.macs[1]).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(new Set(r.macs).size).toBe(2);
    expect(r.macs).not.toContain('52:54:00:aa:bb:02');
    expect(c.interfaces.map((i) => i.targetDev)).toEqual([undefined, undefined]);
    expectInvalid(() => cloneRich({ macs: ['52:54:00:00:00:01', '52:54:00:00:00:01'] }), /twice/);
    expectInvalid(() => cloneRich({ macs: ['52:54:00:00:00:01', '52:54:00:00:00:02', '52:54:00:00:00:03'] }));
  });

  it('re-points writable disks via diskMap, writes the format, drops backingStore', () => {
    const seen: string[] = [];
    const r = cloneRich({
      diskMap: (d) => {
        seen.push(d.target!);
        return d.target === 'vda' ? { path: '/pool/web1.qcow2', format: 'qcow2' } : { pool: 'vms', volume: 'web1-data.raw', format: 'raw' };
      },
    });
    expect(seen).toEqual(['vda', 'vdb']); // readonly, shareable and CD-ROM disks are not offered
    const [vda, vdb, vdc, vdd, sda] = new DomainXml(r.xml).disks;
    expect(vda!.toJSON()).toMatchObject({ type: 'file', path: '/pool/web1.qcow2', format: 'qcow2', backingStore: [] });
    expect(r.xml).toContain("<driver name='qemu' type='qcow2' discard='unmap'/>\n      <source file='/pool/web1.qcow2'/>\n      <target dev='vda' bus='virtio'/>\n      <serial>golden-root</serial>");
    expect(vdb!.toJSON()).toMatchObject({ type: 'volume', pool: 'vms', volume: 'web1-data.raw', format: 'raw' });
    expect([vdc!.path, vdd!.path, sda!.path]).toEqual(['/srv/shared/reference.img', '/srv/shared/cluster.img', '/srv/iso/debian-12.iso']);
    expect(r.disks.map((d) => d.action)).toEqual(['cloned', 'cloned', 'shared', 'shared', 'shared']);
  });

  it("shares or drops disks on 'share' / 'drop'", () => {
    const r = cloneRich({ diskMap: (d) => (d.target === 'vda' ? { path: '/p/a.qcow2', format: 'qcow2' } : d.target === 'vdb' ? 'drop' : 'share') });
    const c = new DomainXml(r.xml);
    expect(c.disks.map((d) => d.target)).toEqual(['vda', 'vdc', 'vdd', 'sda']);
    const keep = cloneRich({ diskMap: () => 'share' });
    expect(new DomainXml(keep.xml).disks[0]!.backingStore).toHaveLength(1);
  });

  it('refuses disk maps that would write to the source or reuse a path', () => {
    expectInvalid(() => cloneRich({ diskMap: () => ({ path: '/var/lib/libvirt/images/golden.qcow2', format: 'qcow2' }) }), /source disk/);
    expectInvalid(() => cloneRich({ diskMap: () => ({ path: '/p/same.qcow2', format: 'qcow2' }) }), /two disks/);
    expectInvalid(() => cloneRich({ diskMap: () => ({ path: 'relative.qcow2', format: 'qcow2' }) }), /absolute/);
    expectInvalid(() => cloneRich({ diskMap: () => ({ path: '/p/x', format: '' }) as never }));
  });

  it('resets graphics to autoport without fixed ports', () => {
    const g = new DomainXml(cloneRich().xml).graphics;
    expect(g.map((x) => [x.port, x.autoport, x.element.hasAttribute('tlsPort')])).toEqual([[undefined, true, false], [undefined, true, false]]);
    expect(g[0]!.element.getAttribute('websocket')).toBe('-1');
    expect(g[0]!.listen).toBe('0.0.0.0');
  });

  it('drops the guest agent socket path and channel state', () => {
    const [ga, spice] = new DomainXml(cloneRich().xml).channels;
    expect(ga!.toJSON()).toMatchObject({ type: 'unix', sourceMode: 'bind', sourcePath: undefined, targetName: 'org.qemu.guest_agent.0', targetState: undefined });
    expect(spice!.targetName).toBe('com.redhat.spice.0');
  });

  it('sets the NVRAM path and keeps the template; without one, lets libvirt make it', () => {
    expect(new DomainXml(cloneRich().xml).os.nvram).toEqual({ path: '/nv/web1_VARS.fd', template: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' });
    const none = new DomainXml(cloneRich({ nvramPath: undefined }).xml);
    expect(none.os.nvram).toEqual({ path: undefined, template: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' });
    expect(none.os.loader?.path).toBe('/usr/share/OVMF/OVMF_CODE_4M.ms.fd');
  });

  it('keeps the TPM device', () => {
    expect(new DomainXml(cloneRich().xml).tpms[0]!.toJSON()).toEqual({ model: 'tpm-crb', backendType: 'emulator', version: '2.0', persistentState: true });
  });

  it("writes virtkit OEM strings, keeps other software's, and turns on smbios sysinfo", () => {
    const oem = identityOemStrings({ hostname: 'web1', sshAuthorizedKeys: { root: ['ssh-ed25519 AAAAC3 me@host'] } });
    const c = new DomainXml(cloneRich({ oemStrings: oem }).xml);
    expect(c.oemStrings).toEqual(['vendor:keep-me', ...oem]);
    expect(c.os.smbiosMode).toBe('sysinfo');
    expect(parseOemStrings(c.oemStrings)).toEqual({ hostname: 'web1', sshAuthorizedKeys: { root: ['ssh-ed25519 AAAAC3 me@host'] } });
    // cloning a clone replaces its virtkit entries instead of piling them up
    const again = new DomainXml(cloneDomainXml(c.toString(), { name: 'web2', diskMap: (d) => ({ path: `/pool/web2-${d.target}.qcow2`, format: 'qcow2' }), oemStrings: identityOemStrings({ hostname: 'web2' }) }));
    expect(parseOemStrings(again.oemStrings)).toEqual({ hostname: 'web2' });
    expect(again.oemStrings[0]).toBe('vendor:keep-me');
    const fresh = new DomainXml(cloneDomainXml(TEST_XML, { name: 't2', diskMap: linked, oemStrings: ['virtkit:v=1'] }));
    expect(fresh.oemStrings).toEqual(['virtkit:v=1']);
    expect(fresh.toString()).toContain("  <sysinfo type='smbios'>\n    <oemStrings>\n      <entry>virtkit:v=1</entry>\n    </oemStrings>\n  </sysinfo>\n  <os>");
  });

  it('replaces the virtkit record, keeps foreign metadata', () => {
    const plain = cloneRich();
    expect(parseTemplateMetadata(plain.xml)).toBeUndefined();
    expect(plain.xml).toContain('<libosinfo:os id="http://debian.org/debian/12"/>');
    const rec = templateMetadataXml({ role: 'clone', state: 'ready', version: 1, template: { name: 'golden', uuid: '0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01', version: 3 } });
    const r = cloneRich({ metadata: { uri: VIRTKIT_NS, prefix: 'virtkit', xml: rec } });
    expect(parseTemplateMetadata(r.xml)).toMatchObject({ role: 'clone', template: { name: 'golden', version: 3 } });
  });

  it('keeps everything else byte for byte', () => {
    const out = cloneRich().xml;
    const untouched = RICH_XML.split(/(?=\n  <[a-z])/).filter((chunk) =>
      !/<(name|uuid|genid|title|metadata|sysinfo|os|devices|seclabel)[ >]/.test(chunk.slice(0, 20)));
    expect(untouched.length).toBeGreaterThan(8);
    for (const chunk of untouched) expect(out).toContain(chunk);
    for (const kept of [
      '<!-- the system disk -->',
      "<futuregadget flavour='x' level='11'>unknown &amp; kept</futuregadget>",
      "<controller type='usb' index='0' model='qemu-xhci'/>",
      "<disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <source file='/srv/iso/debian-12.iso'/>\n      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>",
      "<tpm model='tpm-crb'>\n      <backend type='emulator' version='2.0' persistent_state='yes'/>\n    </tpm>",
      "<qemu:commandline>\n    <qemu:arg value='-newarg'/>\n  </qemu:commandline>",
      '<description>multi\nline &apos;text&apos;</description>',
      "<entry name='manufacturer'>ACME</entry>",
      "<address type='virtio-serial' controller='0' bus='0' port='1'/>",
    ]) expect(out).toContain(kept);
    expect(out).toContain("<seclabel type='dynamic' model='selinux' relabel='yes'/>");
  });

  it.skipIf(!virsh)('produces XML libvirt accepts (sysinfo UUID consistent, genid regenerated)', () => {
    const r = cloneRich({ oemStrings: identityOemStrings({ hostname: 'web1' }) });
    const dumped = viaTestDriver(r.xml, 'web1');
    expect(dumped).toContain(`<uuid>${r.uuid}</uuid>`);
    expect(dumped).toMatch(/<genid>[0-9a-f-]{36}<\/genid>/);
    expect(dumped).not.toContain('43dc0cf8-809b-4adb-9bea-a9abb5f3d90d');
  });

  it('refuses the source name or UUID and bad options', () => {
    expectInvalid(() => cloneRich({ name: 'golden' }), /new name/);
    expectInvalid(() => cloneRich({ uuid: '0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01' }), /new UUID/);
    expectInvalid(() => cloneRich({ uuid: 'nope' }));
    expectInvalid(() => cloneRich({ name: 'x/y' }));
    expectInvalid(() => cloneDomainXml(RICH_XML, { name: 'a' } as CloneOptions), /diskMap/);
    expectInvalid(() => cloneRich({ oemStrings: ['x'.repeat(5000)] }), /limit/);
  });
});
