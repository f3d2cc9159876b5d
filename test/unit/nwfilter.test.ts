import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, NWFilterXml, nwfilterBindingXml, nwfilterXml, parseNWFilterBinding, type NWFilterBindingSpec, type NWFilterSpec } from '../../src/index.js';

// The test driver has no nwfilter driver: real filters and bindings are exercised in
// test/integration/secret-nwfilter.test.ts on a private daemon.
describe('nwfilterXml / NWFilterXml', () => {
  it('builds a filter with references and rules, and reads it back', () => {
    const spec: NWFilterSpec = {
      name: 'vk-allow-ssh',
      uuid: '5c6b0a1e-8d3f-4b7a-9e2c-0f1a2b3c4d5e',
      chain: 'ipv4',
      priority: -700,
      filterrefs: ['clean-traffic', { filter: 'allow-ipv4', parameters: { IP: ['10.0.0.5', '10.0.0.6'] } }],
      rules: [
        { action: 'accept', direction: 'in', priority: 100, protocol: 'tcp', match: { dstportstart: 22, srcipaddr: '$IP' } },
        { action: 'drop', direction: 'inout', protocol: 'all' },
      ],
    };
    const xml = nwfilterXml(spec);
    expect(xml).toBe(`<filter name='vk-allow-ssh' chain='ipv4' priority='-700'>
  <uuid>5c6b0a1e-8d3f-4b7a-9e2c-0f1a2b3c4d5e</uuid>
  <filterref filter='clean-traffic'/>
  <filterref filter='allow-ipv4'>
    <parameter name='IP' value='10.0.0.5'/>
    <parameter name='IP' value='10.0.0.6'/>
  </filterref>
  <rule action='accept' direction='in' priority='100'>
    <tcp dstportstart='22' srcipaddr='$IP'/>
  </rule>
  <rule action='drop' direction='inout'>
    <all/>
  </rule>
</filter>
`);
    const p = new NWFilterXml(xml);
    expect([p.name, p.uuid, p.chain, p.priority]).toEqual(['vk-allow-ssh', spec.uuid, 'ipv4', -700]);
    expect(p.filterrefs).toEqual([{ filter: 'clean-traffic' }, { filter: 'allow-ipv4', parameters: { IP: ['10.0.0.5', '10.0.0.6'] } }]);
    expect(p.rules).toEqual([
      { action: 'accept', direction: 'in', priority: 100, protocol: 'tcp', match: { dstportstart: '22', srcipaddr: '$IP' } },
      { action: 'drop', direction: 'inout', protocol: 'all' },
    ]);
    expect(nwfilterXml({ name: 'vk-empty' })).toBe("<filter name='vk-empty' chain='root'/>\n");
  });

  it('refuses a bad filter spec naming the field', () => {
    const rule = { action: 'accept', direction: 'in', protocol: 'tcp' };
    const bad: [unknown, string][] = [
      [{ name: 'a/b' }, 'spec.name'],
      [{ name: 'f', chain: 'ipv5' }, 'spec.chain'],
      [{ name: 'f', chain: 'ipv4-a b' }, 'spec.chain'],
      [{ name: 'f', priority: 1001 }, 'spec.priority'],
      [{ name: 'f', rules: [{ ...rule, action: 'allow' }] }, 'spec.rules[0].action'],
      [{ name: 'f', rules: [rule, { ...rule, direction: 'up' }] }, 'spec.rules[1].direction'],
      [{ name: 'f', rules: [{ ...rule, protocol: 'quic' }] }, 'spec.rules[0].protocol'],
      [{ name: 'f', rules: [{ ...rule, match: { 'dst port': 1 } }] }, 'spec.rules[0].match.dst port'],
      [{ name: 'f', rules: [{ ...rule, match: { dstportstart: 1.5 } }] }, 'spec.rules[0].match.dstportstart'],
      [{ name: 'f', rules: [{ ...rule, extra: 1 }] }, 'spec.rules[0].extra'],
      [{ name: 'f', filterrefs: [{ filter: 'x', parameters: { 'a-b': 'v' } }] }, 'spec.filterrefs[0].parameters.a-b'],
      [{ name: 'f', filterrefs: 'clean-traffic' }, 'spec.filterrefs'],
      [{ name: 'f', uuid: 'x' }, 'spec.uuid'],
    ];
    for (const [spec, argument] of bad) {
      expect(() => nwfilterXml(spec as NWFilterSpec), JSON.stringify(spec)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ argument }) }));
    }
  });

  it('builds and reads a binding; refuses a bad one', () => {
    const spec: NWFilterBindingSpec = {
      owner: { name: 'web1', uuid: 'c3a4e3a6-2e6b-4a1d-8b6f-1d3e9e5a0b11' },
      portdev: 'vnet7',
      mac: '52:54:00:AB:CD:EF',
      filter: 'clean-traffic',
      parameters: { IP: '10.0.0.5' },
    };
    const xml = nwfilterBindingXml(spec);
    expect(xml).toContain("<portdev name='vnet7'/>");
    expect(parseNWFilterBinding(xml)).toEqual({ ...spec, mac: '52:54:00:ab:cd:ef' });
    const bad: [unknown, string][] = [
      [{ ...spec, portdev: 'a very long device name' }, 'spec.portdev'],
      [{ ...spec, mac: '01:00:5e:00:00:01' }, 'spec.mac'],
      [{ ...spec, owner: { name: 'web1' } }, 'spec.owner.uuid'],
      [{ ...spec, filter: '' }, 'spec.filter'],
    ];
    for (const [s, argument] of bad) {
      expect(() => nwfilterBindingXml(s as NWFilterBindingSpec)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ argument }) }));
    }
  });
});

describe('NWFilter on test:///default (no nwfilter driver)', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await conn.close();
  });
  it('the driver refuses with VIR_ERR_NO_SUPPORT; bad input is INVALID_ARGUMENT first', async () => {
    await expect(conn.nwfilters()).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_SUPPORT' });
    await expect(conn.nwfilterBindings()).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    await expect(conn.defineNWFilter({ name: 'vk-f' })).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    await expect(conn.defineNWFilter({ name: 'vk-f', chain: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.defineNWFilter(' ')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.nwfilter('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.nwfilterBinding('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.createNWFilterBinding({} as NWFilterBindingSpec)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
