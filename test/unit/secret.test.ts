import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, SecretXml, VirtError, secretXml, type SecretSpec } from '../../src/index.js';
import { secretListFlags } from '../../src/secret.js';

// The test driver has no secret driver: real secrets are exercised in
// test/integration/secret-nwfilter.test.ts on a private daemon; here the XML, the checks made
// before any RPC, and the driver's refusal.
describe('secretXml / SecretXml', () => {
  it('builds every usage type and reads it back', () => {
    const cases: [SecretSpec, string][] = [
      [{ type: 'volume', usage: '/var/lib/libvirt/images/a.qcow2' }, '<volume>/var/lib/libvirt/images/a.qcow2</volume>'],
      [{ type: 'ceph', usage: 'client.admin secret' }, '<name>client.admin secret</name>'],
      [{ type: 'iscsi', usage: 'libvirtiscsi' }, '<target>libvirtiscsi</target>'],
      [{ type: 'tls', usage: 'tls-x' }, '<name>tls-x</name>'],
      [{ type: 'vtpm', usage: 'vtpm-of-web1' }, '<name>vtpm-of-web1</name>'],
    ];
    for (const [spec, inner] of cases) {
      const xml = secretXml(spec);
      expect(xml).toContain(`<usage type='${spec.type}'>`);
      expect(xml).toContain(inner);
      const p = new SecretXml(xml);
      expect(p.type).toBe(spec.type);
      expect(p.usage).toBe(spec.usage);
      expect(p.toSpec()).toEqual({ ...spec, ephemeral: false, private: false });
    }
  });
  it('writes ephemeral, private, uuid and description; type none has no <usage>', () => {
    const xml = secretXml({ ephemeral: true, private: true, uuid: 'C3A4E3A6-2E6B-4A1D-8B6F-1D3E9E5A0B11', description: 'a <key> & more' });
    expect(xml).toBe(
      "<secret ephemeral='yes' private='yes'>\n  <uuid>c3a4e3a6-2e6b-4a1d-8b6f-1d3e9e5a0b11</uuid>\n  <description>a &lt;key&gt; &amp; more</description>\n</secret>\n",
    );
    const p = new SecretXml(xml);
    expect([p.ephemeral, p.private, p.uuid, p.description, p.type, p.usage]).toEqual([true, true, 'c3a4e3a6-2e6b-4a1d-8b6f-1d3e9e5a0b11', 'a <key> & more', 'none', undefined]);
  });
  it('refuses a bad spec naming the field', () => {
    const bad: [unknown, string][] = [
      [{ type: 'volume' }, 'spec.usage'],
      [{ type: 'volume', usage: 'relative.qcow2' }, 'spec.usage'],
      [{ type: 'ceph', usage: '  ' }, 'spec.usage'],
      [{ type: 'ceph', usage: 'a\0b' }, 'spec.usage'],
      [{ usage: 'x' }, 'spec.usage'],
      [{ type: 'kerberos', usage: 'x' }, 'spec.type'],
      [{ type: 'tls', usage: 'x', uuid: 'nope' }, 'spec.uuid'],
      [{ type: 'tls', usage: 'x', private: 'yes' }, 'spec.private'],
      [{ type: 'tls', usage: 'x', value: 'hunter2' }, 'spec.value'],
      [null, 'spec'],
    ];
    for (const [spec, argument] of bad) {
      expect(() => secretXml(spec as SecretSpec), JSON.stringify(spec)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ argument }) }));
    }
  });
  it('list flags follow the filter', () => {
    expect(secretListFlags({})).toBe(0);
    expect(secretListFlags({ ephemeral: true, private: false })).toBe(1 | 8);
    expect(secretListFlags({ ephemeral: false, private: true })).toBe(2 | 4);
    expect(() => secretListFlags({ private: 1 as unknown as boolean })).toThrow(expect.objectContaining({ details: { argument: 'filter.private' } }));
  });
});

describe('Secret on test:///default (no secret driver)', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await conn.close();
  });

  it('the driver refuses with VIR_ERR_NO_SUPPORT', async () => {
    await expect(conn.secrets()).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_SUPPORT' });
    await expect(conn.defineSecret({ type: 'ceph', usage: 'c' })).rejects.toBeInstanceOf(VirtError);
    await expect(conn.secret('c3a4e3a6-2e6b-4a1d-8b6f-1d3e9e5a0b11')).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
  });

  it('bad lookups and bad values are INVALID_ARGUMENT before any RPC, and never quote the value', async () => {
    await expect(conn.secret('not-a-uuid')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'ref' } });
    await expect(conn.secret({ type: 'none' as 'ceph', usage: 'x' })).rejects.toMatchObject({ details: { argument: 'ref.type' } });
    await expect(conn.secret({ type: 'volume', usage: 'x.img' })).rejects.toMatchObject({ details: { argument: 'ref.usage' } });
    await expect(conn.findSecret(42 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const e = await conn.defineSecret({ type: 'ceph', usage: 'c' }, { value: 12345678 as unknown as string }).catch((x: Error) => x);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.value' } });
    expect((e as Error).message).not.toContain('12345678');
  });
});
