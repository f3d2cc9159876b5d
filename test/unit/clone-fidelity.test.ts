// The clone transform where virt-clone's own cases found it wrong (issue 13, items 1-4 and 6):
// disk source children, strict XML, guards that keep a clone apart from its template, its own
// serial/console files, floppies and CD-ROMs, title and host-side tap names. Every clone is also
// defined in libvirt's test driver (test:///default), which parses it the way libvirtd does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { cloneDomain, clonedFilePath, isSharedDisk, pathKey, type CloneDiskInfo, type CloneOptions } from '../../src/xml/clone.js';
import { parseXml, serialize, child, attr } from '../../src/xml/doc.js';
import { VirtkitError } from '../../src/errors.js';

const TPL_UUID = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const SECRET = 'f981f2b1-a8f7-4b5e-9d6c-1e2f3a4b5c6d';

/** A template as libvirt would print it, with what the reference cases exercise. */
const TPL = `<domain type='test'>
  <name>tpl-web</name>
  <uuid>${TPL_UUID}</uuid>
  <title>Web golden image</title>
  <description>kept</description>
  <memory unit='KiB'>65536</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/i/tpl.qcow2' index='1'>
        <encryption format='luks'>
          <secret type='passphrase' uuid='${SECRET}'/>
        </encryption>
        <seclabel model='dac' relabel='no'/>
      </source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/i/data.raw'>
        <slices>
          <slice type='storage' offset='1048576' size='104857600'/>
        </slices>
      </source>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='tplpool' volume='tpl-vdc.qcow2'/>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <disk type='file' device='floppy'>
      <driver name='qemu' type='raw'/>
      <source file='/i/tpl-floppy.img'/>
      <target dev='fda' bus='fdc'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/i/scratch.iso'/>
      <target dev='hdc' bus='ide'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/iso/debian.iso'/>
      <target dev='hdd' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='ethernet'>
      <mac address='52:54:00:AA:00:01'/>
      <target dev='tap-tpl' managed='no'/>
      <model type='virtio'/>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:aa:00:02'/>
      <source network='default'/>
      <target dev='vnet3'/>
    </interface>
    <serial type='file'>
      <source path='/var/log/vm/tpl-web-serial0.log'/>
      <target port='0'/>
    </serial>
    <serial type='file'>
      <source path='/var/log/vm/tpl-web-serial1.log' append='on'/>
      <target port='1'/>
    </serial>
    <serial type='pty'>
      <log file='/var/log/vm/tpl-web-pty.log' append='off'/>
      <target port='2'/>
    </serial>
    <serial type='unix'>
      <source mode='bind' path='/run/vm/tpl-web.sock'/>
      <target port='3'/>
    </serial>
    <console type='file'>
      <source path='/var/log/vm/tpl-web-serial0.log'/>
      <target type='serial' port='0'/>
    </console>
    <console type='file'>
      <source path='/var/log/console.log'/>
      <target type='virtio' port='1'/>
    </console>
    <channel type='file'>
      <source path='/var/log/vm/channel.out'/>
      <target type='virtio' name='org.example.log'/>
    </channel>
  </devices>
</domain>
`;

function expectInvalid(fn: () => unknown, pattern?: RegExp): VirtkitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VirtkitError);
    expect((e as VirtkitError).code).toBe('INVALID_ARGUMENT');
    if (pattern) expect((e as Error).message).toMatch(pattern);
    return e as VirtkitError;
  }
  throw new Error('expected an INVALID_ARGUMENT VirtkitError');
}

const own: CloneOptions['diskMap'] = (d) => ({ path: `/p/web1-${d.target}.qcow2`, format: 'qcow2' });
const clone = (extra: Partial<CloneOptions> = {}) => cloneDomain(TPL, { name: 'web1', diskMap: own, ...extra });

let conn: Connection;
beforeAll(async () => {
  conn = await Connection.open('test:///default');
});
afterAll(async () => {
  for (const d of await conn.domains()) if (d.name.startsWith('web')) await d.undefine().catch(() => undefined);
  await conn.close();
});
/** Defines `xml` in the test driver and returns libvirt's own dump of it. */
async function viaLibvirt(xml: string): Promise<DomainXml> {
  const d = await conn.defineDomain(xml);
  try {
    return new DomainXml(await d.xml({ inactive: true }));
  } finally {
    await d.undefine();
  }
}

describe('item 1: re-pointing a disk keeps every <source> child that is not the path', () => {
  it('keeps <encryption>, <slices>, <seclabel>; drops the runtime index', async () => {
    const r = clone();
    const [vda, vdb] = new DomainXml(r.xml).disks;
    const src = child(vda!.element, 'source')!;
    expect(attr(src, 'file')).toBe('/p/web1-vda.qcow2');
    expect(src.hasAttribute('index')).toBe(false);
    expect(attr(child(child(src, 'encryption')!, 'secret'), 'uuid')).toBe(SECRET);
    expect(attr(child(src, 'encryption'), 'format')).toBe('luks');
    expect(attr(child(src, 'seclabel'), 'model')).toBe('dac');
    expect(attr(child(child(child(vdb!.element, 'source')!, 'slices')!, 'slice'), 'offset')).toBe('1048576');
    // libvirt reads them back from the clone: the LUKS secret and the slice reach QEMU
    const back = await viaLibvirt(r.xml);
    const bsrc = child(back.disks[0]!.element, 'source')!;
    expect(attr(bsrc, 'file')).toBe('/p/web1-vda.qcow2');
    expect(attr(child(child(bsrc, 'encryption')!, 'secret'), 'uuid')).toBe(SECRET);
    expect(attr(child(child(child(back.disks[1]!.element, 'source')!, 'slices')!, 'slice'), 'size')).toBe('104857600');
  });

  it('keeps startupPolicy and children when a volume or file becomes the other kind', () => {
    const xml = TPL.replace("<source pool='tplpool' volume='tpl-vdc.qcow2'/>", "<source pool='tplpool' volume='tpl-vdc.qcow2' mode='host' startupPolicy='optional'><seclabel model='dac' relabel='no'/></source>");
    const r = cloneDomain(xml, { name: 'web1', diskMap: (d) => (d.target === 'vda' ? { pool: 'vms', volume: 'web1-vda.qcow2', format: 'qcow2' } : own(d)) });
    const [vda, , vdc] = new DomainXml(r.xml).disks;
    const a = child(vda!.element, 'source')!;
    expect([vda!.type, attr(a, 'pool'), attr(a, 'volume'), a.hasAttribute('file')]).toEqual(['volume', 'vms', 'web1-vda.qcow2', false]);
    expect(child(a, 'encryption')).toBeDefined();
    const c = child(vdc!.element, 'source')!;
    expect([vdc!.type, attr(c, 'file'), c.hasAttribute('pool'), c.hasAttribute('mode'), attr(c, 'startupPolicy')]).toEqual(['file', '/p/web1-vdc.qcow2', false, false, 'optional']);
    expect(child(c, 'seclabel')).toBeDefined();
  });

  it('drops what only describes a network source when it becomes a file', () => {
    const net = `<disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='rbd' name='pool/img'>
        <host name='mon1' port='6789'/>
        <auth username='admin'><secret type='ceph' usage='ceph-admin'/></auth>
        <encryption format='luks'><secret type='passphrase' uuid='${SECRET}'/></encryption>
      </source>
      <target dev='vde' bus='virtio'/>
    </disk>
    <serial type='file'>`;
    const r = cloneDomain(TPL.replace("<serial type='file'>", net), { name: 'web1', diskMap: own });
    const vde = new DomainXml(r.xml).disks.find((d) => d.target === 'vde')!;
    const s = child(vde.element, 'source')!;
    expect([vde.type, attr(s, 'file'), s.hasAttribute('protocol'), s.hasAttribute('name')]).toEqual(['file', '/p/web1-vde.qcow2', false, false]);
    expect([child(s, 'host'), child(s, 'auth')]).toEqual([undefined, undefined]);
    expect(child(s, 'encryption')).toBeDefined();
  });
});

describe('item 2: XML is parsed strictly', () => {
  const good = "<domain type='test'><name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>";
  const bad: [string, string, RegExp][] = [
    ['unquoted attribute', "<domain type=test><name>x</name></domain>", /quot/],
    ['valueless attribute', "<domain type='test' foo><name>x</name></domain>", /value/],
    ['bare &', "<domain type='test'><name>x</name><description>a & b</description></domain>", /'&'/],
    ['bare & in an attribute', "<domain type='test'><name>x</name><title a='b & c'/></domain>", /'&'/],
    ["']]>' in text", "<domain type='test'><name>x</name><description>a ]]> b</description></domain>", /\]\]>/],
    ['raw NUL', "<domain type='test'><name>x\u0000</name></domain>", /U\+0000/],
    ['raw U+0001', "<domain type='test'><name>x</name><description>\u0001</description></domain>", /U\+0001/],
    ['&#0;', "<domain type='test'><name>x</name><description>&#0;</description></domain>", /&#0;/],
    ['&#1;', "<domain type='test'><name>x</name><description>&#x1;</description></domain>", /&#x1;/],
    ['&#xFFFE;', "<domain type='test'><name>x</name><description>&#xFFFE;</description></domain>", /&#xFFFE;/],
    ['a lone surrogate', "<domain type='test'><name>x\uD800</name></domain>", /U\+D800/],
    ['an undefined entity', "<domain type='test'><name>&nope;</name></domain>", /entity/],
    ['an entity from a DOCTYPE', "<!DOCTYPE domain [<!ENTITY e 'x'>]><domain type='test'><name>&e;</name></domain>", /entity/],
    ['attributes without a space', "<domain type='test'a='b'><name>x</name></domain>", /space/],
    ['one attribute twice by namespace', "<domain xmlns:a='u:1' xmlns:b='u:1' a:x='1' b:x='2'><name>x</name></domain>", /same namespace/],
    ['text after the root', "<domain type='test'><name>x</name></domain>junk", /content/i],
    ['a mismatched tag', "<domain type='test'><name>x</nam></domain>", /mismatch/],
  ];
  it.each(bad)('refuses %s, with the parser position', (_what, xml, pattern) => {
    const e = expectInvalid(() => cloneDomain(xml, { name: 'y', diskMap: own }), pattern);
    expect(e.message).toMatch(/not well-formed XML/);
    expect(e.details).toMatchObject({ argument: 'domain XML', line: expect.any(Number), column: expect.any(Number) });
  });

  it('reports the line and column of the offending character', () => {
    const e = expectInvalid(() => parseXml("<a>\n  <b c='1'>x &amp; y & z</b>\n</a>", 'test XML'));
    expect(e.details).toMatchObject({ line: 2, column: 22 });
    expect(expectInvalid(() => parseXml("<a>\n\n<b>\u0001</b></a>")).details).toMatchObject({ line: 3, column: 4 });
  });

  it('accepts a leading BOM, every legal reference, and what libvirt writes', async () => {
    const r = cloneDomain('\uFEFF' + good, { name: 'webbom', diskMap: own });
    expect(r.xml.startsWith('<domain')).toBe(true);
    const refs = good.replace('<name>x</name>', '<name>x</name><description>&amp;&lt;&gt;&quot;&apos;&#x10FFFF;&#13;&#xE000;\uFFFD\u0085\u2028</description>');
    expect(parseXml("<a b='&lt;&#9;&#x20;'/>").documentElement!.getAttribute('b')).toBe('<\t ');
    const d = new DomainXml(refs);
    expect(d.description).toBe('&<>"\'\u{10FFFF}\r\uE000\uFFFD\u0085\u2028');
    // comments, CDATA and processing instructions may hold '&' and ']]>'
    expect(() => parseXml('<a><!-- a & b ]]> --><![CDATA[ & ]]><?pi & ]]> ?></a>')).not.toThrow();
    // CR LF line ends are read as LF (XML 1.0 §2.11); U+0085 and U+2028 stay (XML 1.1 would fold them)
    expect(new DomainXml(good.replace('<name>x</name>', '<name>x</name><description>a\r\nb\u2028c</description>')).description).toBe('a\nb\u2028c');
    // (libvirt writes a CR raw, which any XML parser reads back as LF)
    expect((await viaLibvirt(cloneDomain(refs, { name: 'webrefs', diskMap: own }).xml)).description).toBe(d.description!.replace('\r', '\n'));
  });

  it('drops an unused DOCTYPE instead of copying it', async () => {
    const withDoctype = `<?xml version='1.0'?>\n<!DOCTYPE domain [<!ELEMENT domain ANY>]>\n${good}\n`;
    const r = cloneDomain(withDoctype, { name: 'webdt', diskMap: own });
    expect(r.xml).not.toContain('DOCTYPE');
    expect(r.xml).toContain("<?xml version='1.0'?>\n<domain type='test'>");
    expect(serialize(parseXml('<!DOCTYPE a SYSTEM "a.dtd"><a/>'))).toBe('<a/>');
    expect((await viaLibvirt(r.xml)).name).toBe('webdt');
  });
});

describe('item 3: guards compare normalized values', () => {
  it('refuses a MAC the template uses, in any case', () => {
    expectInvalid(() => clone({ macs: ['52:54:00:aa:00:01'] }), /source's/);
    expectInvalid(() => clone({ macs: ['52:54:00:12:34:56', '52:54:00:AA:00:02'] }), /source's/);
    const r = clone({ macs: ['52:54:00:12:34:56'] });
    expect(r.macs[0]).toBe('52:54:00:12:34:56');
    expect(r.macs[1]).not.toMatch(/^52:54:00:aa:00:0[12]$/);
  });

  it('refuses the template UUID written with or without dashes, in any case', () => {
    const compact = TPL.replace(`<uuid>${TPL_UUID}</uuid>`, `<uuid>${TPL_UUID.replace(/-/g, '').toUpperCase()}</uuid>`);
    expectInvalid(() => cloneDomain(compact, { name: 'web1', diskMap: own, uuid: TPL_UUID }), /new UUID/);
    expectInvalid(() => clone({ uuid: TPL_UUID.toUpperCase() }), /new UUID/);
  });

  it("refuses a diskMap answer naming the template's own volume", () => {
    expectInvalid(() => clone({ diskMap: (d) => (d.target === 'vdc' ? { pool: 'tplpool', volume: 'tpl-vdc.qcow2', format: 'qcow2' } : own(d)) }), /source disk/);
    // another volume of that pool is fine
    expect(clone({ diskMap: (d) => (d.target === 'vdc' ? { pool: 'tplpool', volume: 'web1-vdc.qcow2', format: 'qcow2' } : own(d)) }).disks[2]!.to).toBe('tplpool/web1-vdc.qcow2');
  });

  it.each(['/i//tpl.qcow2', '/i/./tpl.qcow2', '/i/x/../tpl.qcow2', '//i/tpl.qcow2', '/i/../i/data.raw'])('refuses %s, an alias of a template disk', (alias) => {
    expectInvalid(() => clone({ diskMap: (d) => (d.target === 'vdb' ? { path: alias, format: 'qcow2' } : own(d)) }), /source disk/);
  });

  it('refuses one target for two disks, also through an alias', () => {
    expectInvalid(() => clone({ diskMap: (d) => ({ path: d.target === 'vda' ? '/p/x.qcow2' : d.target === 'vdb' ? '/p//x.qcow2' : `/p/${d.target}`, format: 'qcow2' }) }), /two disks/);
    expectInvalid(() => clone({ diskMap: (d) => (d.target === 'vda' || d.target === 'vdb' ? { pool: 'v', volume: 'same', format: 'qcow2' } : own(d)) }), /two disks/);
    expect(pathKey('/a//b/./c/')).toBe('/a/b/c');
  });
});

describe('item 4: every file-backed character device gets its own file', () => {
  it('gives each serial, console, channel, log file and bound socket a path of its own, beside the original', async () => {
    const r = clone();
    const x = new DomainXml(r.xml);
    const devices = child(x.root, 'devices')!;
    const paths = (kind: string) => Array.from(devices.getElementsByTagName(kind)).map((e) => attr(child(e, 'source'), 'path') ?? attr(child(e, 'log'), 'file'));
    expect(paths('serial')).toEqual(['/var/log/vm/web1-serial0.log', '/var/log/vm/web1-serial1.log', '/var/log/vm/web1-pty.log', '/run/vm/web1.sock']);
    // the console that mirrors serial 0 follows it; the other one is its own
    expect(paths('console')).toEqual(['/var/log/vm/web1-serial0.log', '/var/log/console-web1.log']);
    expect(paths('channel')).toEqual(['/var/log/vm/channel-web1.out']);
    expect(attr(child(devices.getElementsByTagName('serial')[1]!, 'source'), 'append')).toBe('on');
    // a second clone shares nothing with the first or with the template
    const other = new DomainXml(clone({ name: 'web2' } as never).xml);
    const all = (d: DomainXml) => Array.from(child(d.root, 'devices')!.getElementsByTagName('*')).flatMap((e) => [attr(e, 'path'), e.localName === 'log' ? attr(e, 'file') : undefined]).filter(Boolean);
    const tplPaths = all(new DomainXml(TPL));
    expect(all(x).filter((p) => tplPaths.includes(p) || all(other).includes(p))).toEqual([]);
    const back = await viaLibvirt(r.xml);
    expect(back.serials.map((s) => s.path)).toEqual(['/var/log/vm/web1-serial0.log', '/var/log/vm/web1-serial1.log', undefined, '/run/vm/web1.sock']);
  });

  it('names files by virt-clone\'s rule and never reuses a taken path', () => {
    expect(clonedFilePath('/var/log/tpl-serial.log', 'tpl', 'web1')).toBe('/var/log/web1-serial.log');
    expect(clonedFilePath('/var/log/tpl.log', 'tpl', 'web1')).toBe('/var/log/web1.log');
    expect(clonedFilePath('/var/log/tplx.log', 'tpl', 'web1')).toBe('/var/log/tplx-web1.log');
    expect(clonedFilePath('/var/log/console', 'tpl', 'web1')).toBe('/var/log/console-web1');
    expect(clonedFilePath('/log/a.verylongext', 'tpl', 'w')).toBe('/log/a.verylongext-w');
    expect(clonedFilePath('/x.log', 'tpl', 'w')).toBe('/x-w.log');
    // the template already has a file with the name the rule gives
    const taken = TPL.replace("<source path='/var/log/console.log'/>", "<source path='/var/log/console.log'/></console><console type='file'><source path='/var/log/console-web1.log'/><target type='virtio' port='2'/>");
    const ps = Array.from(child(new DomainXml(cloneDomain(taken, { name: 'web1', diskMap: own }).xml).root, 'devices')!.getElementsByTagName('console')).map((e) => attr(child(e, 'source'), 'path'));
    expect(new Set(ps).size).toBe(ps.length);
    expect(ps).not.toContain('/var/log/console.log');
  });

  it('still takes the deprecated serialLog, for the first file serial (and its console) only', () => {
    const x = new DomainXml(clone({ serialLog: '/logs/web1.log' }).xml);
    expect(x.serials.map((s) => s.path)).toEqual(['/logs/web1.log', '/var/log/vm/web1-serial1.log', undefined, '/run/vm/web1.sock']);
    expect(x.consoles[0]!.path).toBe('/logs/web1.log');
  });
});

describe('item 6: floppies, CD-ROMs, <title>, host-side tap names', () => {
  it('offers writable floppies and CD-ROMs without <readonly/> to diskMap; shares read-only ones', () => {
    const seen: CloneDiskInfo[] = [];
    const r = clone({ diskMap: (d) => (seen.push(d), own(d)) });
    expect(seen.map((d) => [d.target, d.device])).toEqual([['vda', 'disk'], ['vdb', 'disk'], ['vdc', 'disk'], ['fda', 'floppy'], ['hdc', 'cdrom']]);
    expect(r.disks.map((d) => d.action)).toEqual(['cloned', 'cloned', 'cloned', 'cloned', 'cloned', 'shared']);
    expect(new DomainXml(r.xml).disks.map((d) => d.path)).toEqual(['/p/web1-vda.qcow2', '/p/web1-vdb.qcow2', '/p/web1-vdc.qcow2', '/p/web1-fda.qcow2', '/p/web1-hdc.qcow2', '/iso/debian.iso']);
    const d = new DomainXml(TPL).disks;
    expect(d.map(isSharedDisk)).toEqual([false, false, false, false, false, true]);
    // 'share' keeps a floppy as the template has it
    expect(new DomainXml(clone({ diskMap: (x) => (x.device === 'floppy' ? 'share' : own(x)) }).xml).disks[3]!.path).toBe('/i/tpl-floppy.img');
  });

  it("removes the template's <title> unless a new one is given; keeps <description>", async () => {
    const plain = new DomainXml(clone().xml);
    expect(plain.title).toBeUndefined();
    expect(plain.description).toBe('kept');
    const titled = clone({ title: 'web1 & co' });
    expect(new DomainXml(titled.xml).title).toBe('web1 & co');
    expect((await viaLibvirt(titled.xml)).title).toBe('web1 & co');
    expectInvalid(() => clone({ title: 'two\nlines' }), /one line/);
    expectInvalid(() => clone({ title: 5 as never }), /title/);
  });

  it("drops every host-side <target dev>, a pre-made tap (managed='no') too", async () => {
    const r = clone();
    expect(new DomainXml(r.xml).interfaces.map((i) => i.targetDev)).toEqual([undefined, undefined]);
    expect(r.xml).not.toContain('tap-tpl');
    expect((await viaLibvirt(r.xml)).interfaces).toHaveLength(2);
  });
});
