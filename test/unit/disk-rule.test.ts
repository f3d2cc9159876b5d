// One writable-disk rule: the disks seal({ domain }) writes are the disks Template.create copies
// and cloneDomain hands to diskMap (xml/clone.ts isSharedDisk / ownDisks).
import { describe, expect, it } from 'vitest';
import { domainDisks } from '../../src/seal/disks.js';
import { writableDisks } from '../../src/template/disks.js';
import { cloneDomain } from '../../src/xml/clone.js';
import { VirtkitError } from '../../src/errors.js';

const disk = (attrs: string, inner: string) => `<disk ${attrs}>${inner}</disk>`;
const XML = `<domain type='qemu'><name>src</name><uuid>0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01</uuid><memory>65536</memory>
<os><type>hvm</type></os><devices>
${disk("type='file' device='disk'", "<driver name='qemu' type='qcow2'/><source file='/img/root.qcow2'/><target dev='vda' bus='virtio'/>")}
${disk("type='block' device='disk'", "<driver name='qemu' type='raw'/><source dev='/dev/vg/data'/><target dev='vdb' bus='virtio'/>")}
${disk("type='file' device='disk'", "<source file='/img/ro.img'/><target dev='vdc'/><readonly/>")}
${disk("type='file' device='disk'", "<source file='/img/shared.img'/><target dev='vdd'/><shareable/>")}
${disk("type='file' device='cdrom'", "<target dev='sda' bus='sata'/><readonly/>")}
${disk("type='file' device='cdrom'", "<source file='/img/empty-startup.iso' startupPolicy='optional'/><target dev='sdb' bus='sata'/><readonly/>")}
${disk("type='block' device='lun'", "<driver name='qemu' type='raw'/><source dev='/dev/sdz'/><target dev='sdc' bus='scsi'/>")}
${disk("type='file' device='disk'", "<driver name='qemu' type='qcow2'/><source file='/img/overlay.qcow2'/><target dev='vde'/><transient shareBacking='yes'/>")}
${disk("type='file' device='floppy'", "<driver name='qemu' type='raw'/><source file='/img/floppy.img'/><target dev='fda'/>")}
</devices></domain>`;

const owned = ['/img/root.qcow2', '/dev/vg/data', '/img/floppy.img'];

describe('the writable-disk rule', () => {
  it('seal({ domain }) writes what a template copies', async () => {
    const sealed = await domainDisks({ xml: () => XML, isActive: () => false });
    expect(sealed).toEqual([{ path: '/img/root.qcow2', format: 'qcow2' }, { path: '/dev/vg/data', format: 'raw' }, { path: '/img/floppy.img', format: 'raw' }]);
    expect(writableDisks(XML).map((d) => d.path)).toEqual(owned);
  });

  it('a clone gets diskMap calls for the same disks and shares the rest (the LUN included)', () => {
    const asked: string[] = [];
    const r = cloneDomain(XML, { name: 'c', diskMap: (d) => (asked.push(d.path!), { path: `/new/${d.target}`, format: 'qcow2' }) });
    expect(asked).toEqual(owned);
    expect(r.disks.filter((d) => d.action === 'shared').map((d) => d.target)).toEqual(['vdc', 'vdd', 'sda', 'sdb', 'sdc', 'vde']);
  });

  it('refuses a running domain and one without a writable disk', async () => {
    await expect(domainDisks({ xml: () => XML, isActive: () => true })).rejects.toMatchObject({ code: 'DOMAIN_RUNNING' });
    const none = XML.replace(/<devices>[\s\S]*<\/devices>/, '<devices/>');
    await expect(domainDisks({ xml: () => none, isActive: () => false })).rejects.toBeInstanceOf(VirtkitError);
  });
});
