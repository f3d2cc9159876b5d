// Volume and pool XML: typed readers on real libvirt output, builders and their validation.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VolumeXml, volumeXml } from '../../src/xml/volume.js';
import { PoolXml, dirPoolXml } from '../../src/xml/pool.js';
import { toBytes, toKiB } from '../../src/xml/units.js';
import { VirtkitError } from '../../src/errors.js';

/** A qcow2 overlay as libvirt's qemu driver reports it in a dir pool. */
const OVERLAY = `<volume type='file'>
  <name>web1.qcow2</name>
  <key>/var/lib/libvirt/images/web1.qcow2</key>
  <capacity unit='bytes'>10737418240</capacity>
  <allocation unit='bytes'>200704</allocation>
  <physical unit='bytes'>196624</physical>
  <target>
    <path>/var/lib/libvirt/images/web1.qcow2</path>
    <format type='qcow2'/>
    <permissions>
      <mode>0644</mode>
      <owner>0</owner>
      <group>0</group>
    </permissions>
    <timestamps>
      <atime>1700000000.123456789</atime>
      <mtime>1700000000.123456789</mtime>
      <ctime>1700000000.123456789</ctime>
    </timestamps>
    <compat>1.1</compat>
    <clusterSize unit='B'>65536</clusterSize>
    <features>
      <lazy_refcounts/>
    </features>
  </target>
  <backingStore>
    <path>/var/lib/libvirt/templates/base.qcow2</path>
    <format type='qcow2'/>
    <permissions>
      <mode>0444</mode>
      <owner>0</owner>
      <group>0</group>
    </permissions>
  </backingStore>
</volume>
`;

/** `virsh -c test:///default pool-dumpxml default-pool`. */
const POOL = `<pool type='dir'>
  <name>default-pool</name>
  <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
  <capacity unit='bytes'>107374182400</capacity>
  <allocation unit='bytes'>0</allocation>
  <available unit='bytes'>107374182400</available>
  <source>
  </source>
  <target>
    <path>/default-pool</path>
  </target>
</pool>
`;

const virsh = (() => {
  try {
    execFileSync('virsh', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

function expectInvalid(fn: () => unknown, pattern?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VirtkitError);
  expect((err as VirtkitError).code).toBe('INVALID_ARGUMENT');
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

describe('units', () => {
  it('converts libvirt scaled integers', () => {
    expect(toBytes('2', 'GiB')).toBe(2 ** 31);
    expect(toBytes('2', 'G')).toBe(2 ** 31);
    expect(toBytes('2', 'GB')).toBe(2e9);
    expect(toBytes('7', undefined)).toBe(7);
    expect(toKiB('2048', undefined)).toBe(2048);
    expect(toKiB('1', 'MiB')).toBe(1024);
    expectInvalid(() => toBytes('1', 'parsecs'), /unit/);
    expectInvalid(() => toBytes('-1', 'bytes'));
  });
});

describe('VolumeXml', () => {
  it('reads an overlay and round-trips it byte for byte', () => {
    const v = new VolumeXml(OVERLAY);
    expect(v.toJSON()).toEqual({
      name: 'web1.qcow2', type: 'file', key: '/var/lib/libvirt/images/web1.qcow2', capacity: 10737418240,
      allocation: 200704, physical: 196624, path: '/var/lib/libvirt/images/web1.qcow2', format: 'qcow2',
      compat: '1.1', backing: { path: '/var/lib/libvirt/templates/base.qcow2', format: 'qcow2' }, mode: 0o644,
    });
    expect(v.backingStore).toEqual(v.backing);
    expect(v.toString()).toBe(OVERLAY);
  });

  it('reads a volume without backing store', () => {
    const v = new VolumeXml("<volume type='file'><name>x</name><capacity unit='G'>1</capacity><target><format type='raw'/></target></volume>");
    expect([v.capacity, v.backing, v.format, v.compat, v.mode]).toEqual([2 ** 30, undefined, 'raw', undefined, undefined]);
  });
});

describe('volumeXml', () => {
  it('writes a qcow2 overlay with compat 1.1 and both formats', () => {
    const xml = volumeXml({ name: 'web1.qcow2', format: 'qcow2', capacity: 10 * 2 ** 30, backing: { path: '/tpl/base.qcow2', format: 'qcow2' }, mode: 0o600 });
    expect(xml).toBe(`<volume type='file'>
  <name>web1.qcow2</name>
  <capacity unit='bytes'>10737418240</capacity>
  <target>
    <format type='qcow2'/>
    <permissions>
      <mode>0600</mode>
    </permissions>
    <compat>1.1</compat>
  </target>
  <backingStore>
    <path>/tpl/base.qcow2</path>
    <format type='qcow2'/>
  </backingStore>
</volume>
`);
    expect(new VolumeXml(xml).toJSON()).toMatchObject({ name: 'web1.qcow2', capacity: 10737418240, format: 'qcow2', compat: '1.1', backing: { path: '/tpl/base.qcow2', format: 'qcow2' }, mode: 0o600 });
  });

  it('writes raw volumes without compat; capacity may come from the backing file', () => {
    const raw = new VolumeXml(volumeXml({ name: 'd.raw', format: 'raw', capacity: 4096, allocation: 0 }));
    expect([raw.format, raw.compat, raw.allocation]).toEqual(['raw', undefined, 0]);
    expect(new VolumeXml(volumeXml({ name: 'o', format: 'qcow2', backing: { path: '/b', format: 'raw' } })).capacity).toBeUndefined();
  });

  it('escapes names', () => {
    const name = `a<b&'c"`;
    expect(new VolumeXml(volumeXml({ name, format: 'raw', capacity: 1 })).name).toBe(name);
  });

  it.skipIf(!virsh)('writes XML libvirt accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtkit-vol-'));
    try {
      writeFileSync(join(dir, 'b.xml'), volumeXml({ name: 'b.qcow2', format: 'qcow2', capacity: 2 ** 20 }));
      writeFileSync(join(dir, 'o.xml'), volumeXml({ name: 'o.qcow2', format: 'qcow2', capacity: 2 ** 20, backing: { path: '/default-pool/b.qcow2', format: 'qcow2' } }));
      const out = execFileSync('virsh', ['-q', '-c', 'test:///default',
        `vol-create default-pool ${dir}/b.xml; vol-create default-pool ${dir}/o.xml; vol-dumpxml --pool default-pool o.qcow2`], { encoding: 'utf8' });
      expect(new VolumeXml(out).backing).toEqual({ path: '/default-pool/b.qcow2', format: 'qcow2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates with INVALID_ARGUMENT', () => {
    expectInvalid(() => volumeXml({ name: '', format: 'raw', capacity: 1 }));
    expectInvalid(() => volumeXml({ name: 'a/b', format: 'raw', capacity: 1 }), /'\/'/);
    expectInvalid(() => volumeXml({ name: 'a\0b', format: 'raw', capacity: 1 }), /NUL/);
    expectInvalid(() => volumeXml({ name: '..', format: 'raw', capacity: 1 }));
    expectInvalid(() => volumeXml({ name: '.', format: 'raw', capacity: 1 }));
    expectInvalid(() => volumeXml({ name: 'é'.repeat(128), format: 'raw', capacity: 1 }), /255 bytes/);
    expect(() => volumeXml({ name: 'x'.repeat(255), format: 'raw', capacity: 1 })).not.toThrow();
    expectInvalid(() => volumeXml({ name: 'a', format: 'raw', capacity: 0 }), /capacity/);
    expectInvalid(() => volumeXml({ name: 'a', format: 'raw', capacity: 1.5 }), /capacity/);
    expectInvalid(() => volumeXml({ name: 'a', format: 'raw' }), /capacity/);
    expectInvalid(() => volumeXml({ name: 'a', format: 'raw', capacity: 1, backing: { path: '/b', format: 'raw' } }), /backing store/);
    expectInvalid(() => volumeXml({ name: 'a', format: 'raw', capacity: 1, compat: '1.1' }), /compat/);
    expectInvalid(() => volumeXml({ name: 'a', format: 'qcow2', capacity: 1, backing: { path: 'rel', format: 'qcow2' } }), /absolute/);
    expectInvalid(() => volumeXml({ name: 'a', format: 'qcow2', capacity: 1, backing: { path: '/b' } as never }), /format/);
    expectInvalid(() => volumeXml({ name: 'a', format: 'qcow2', capacity: 1, mode: 0o10000 }), /mode/);
  });
});

describe('PoolXml and dirPoolXml', () => {
  it('reads and round-trips libvirt pool XML', () => {
    const p = new PoolXml(POOL);
    expect(p.toJSON()).toEqual({
      type: 'dir', name: 'default-pool', uuid: 'dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566', capacity: 107374182400,
      allocation: 0, available: 107374182400, targetPath: '/default-pool', sourcePath: undefined, mode: undefined,
    });
    expect(p.toString()).toBe(POOL);
  });

  it('builds a dir pool', () => {
    expect(dirPoolXml('tpl', '/var/lib/virtkit/templates/', { mode: 0o755 })).toBe(`<pool type='dir'>
  <name>tpl</name>
  <target>
    <path>/var/lib/virtkit/templates</path>
    <permissions>
      <mode>0755</mode>
    </permissions>
  </target>
</pool>
`);
    expect(new PoolXml(dirPoolXml('a&b', '/x')).name).toBe('a&b');
  });

  it('validates with INVALID_ARGUMENT', () => {
    expectInvalid(() => dirPoolXml('p', 'relative/path'), /absolute/);
    expectInvalid(() => dirPoolXml('p', '/a/../b'), /\.\./);
    expectInvalid(() => dirPoolXml('a/b', '/x'));
    expectInvalid(() => dirPoolXml('', '/x'));
    expectInvalid(() => new PoolXml('<volume/>'), /<pool>/);
  });
});
