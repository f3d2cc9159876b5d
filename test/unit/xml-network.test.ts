// Network XML (src/xml/network.ts), IP address math (src/net/ip.ts) and the address allocator
// (src/net/allocate.ts). The XML built here is also defined on test:///default through virsh,
// whose network parser is the real daemon's, and read back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetworkXml, networkXml, networkHostXml, checkNetworkSpec, type NetworkSpec } from '../../src/xml/network.js';
import { formatIp, netmaskPrefix, normalizeIp, parseIp, prefixNetmask, tryParseIp } from '../../src/net/ip.js';
import { allocateAddress } from '../../src/net/allocate.js';
import { VirtkitError } from '../../src/errors.js';
import { spawnAsync } from '../helpers/spawn.js';

function refusal(fn: () => unknown): VirtkitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VirtkitError);
    return e as VirtkitError;
  }
  throw new Error('expected a refusal');
}

const NAT: NetworkSpec = {
  name: 'lab',
  mode: 'nat',
  bridge: 'vklab0',
  mtu: 9000,
  mac: '52:54:00:AA:BB:CC',
  domain: 'lab.test',
  ipv4: {
    address: '192.168.150.1',
    prefix: 24,
    dhcp: {
      ranges: [{ start: '192.168.150.10', end: '192.168.150.20' }],
      hosts: [{ mac: '52:54:00:00:00:01', ip: '192.168.150.10', name: 'web1' }],
    },
  },
  ipv6: {
    address: 'FD00:150:0:0::1',
    prefix: 64,
    dhcp: { ranges: [{ start: 'fd00:150::100', end: 'fd00:150::1ff' }], hosts: [{ id: '0:3:0:1:52:54:0:0:0:1', ip: 'fd00:150::100', name: 'web1' }] },
  },
};

describe('IP addresses', () => {
  it('parses and formats IPv4 strictly', () => {
    expect(formatIp(parseIp('10.0.0.255'))).toBe('10.0.0.255');
    for (const bad of ['10.0.0', '10.0.0.256', '010.0.0.1', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.-1', '']) expect(tryParseIp(bad)).toBeUndefined();
  });
  it('formats IPv6 the RFC 5952 way', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // one zero group stays, longest run compressed
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // tie: the first run
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ];
    for (const [i, o] of cases) expect(normalizeIp(i)).toBe(o);
    for (const bad of [':1', '1:::2', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7::8', '::1.2.3']) expect(tryParseIp(bad), bad).toBeUndefined();
  });
  it('converts netmasks', () => {
    expect(netmaskPrefix('255.255.255.0')).toBe(24);
    expect(netmaskPrefix('255.255.254.0')).toBe(23);
    expect(netmaskPrefix('255.0.255.0')).toBeUndefined();
    expect(prefixNetmask(20)).toBe('255.255.240.0');
  });
  it('refuses with INVALID_ARGUMENT naming the argument', () => {
    const e = refusal(() => parseIp('10.0.0.1', 'ipv6.address', 'ipv6'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details?.argument).toBe('ipv6.address');
  });
});

describe('networkXml', () => {
  it('builds NAT with IPv4 and IPv6 DHCP, static hosts, domain, MTU, MAC in libvirt order and style', () => {
    expect(networkXml(NAT)).toBe(`<network>
  <name>lab</name>
  <forward mode='nat'/>
  <bridge name='vklab0' stp='on' delay='0'/>
  <mtu size='9000'/>
  <mac address='52:54:00:aa:bb:cc'/>
  <domain name='lab.test' localOnly='yes'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.150.10' end='192.168.150.20'/>
      <host mac='52:54:00:00:00:01' name='web1' ip='192.168.150.10'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:150::1' prefix='64'>
    <dhcp>
      <range start='fd00:150::100' end='fd00:150::1ff'/>
      <host id='0:3:0:1:52:54:0:0:0:1' name='web1' ip='fd00:150::100'/>
    </dhcp>
  </ip>
</network>
`);
  });

  it('builds isolated (no <forward>), route, open and host-bridge networks', () => {
    const ip = { address: '10.1.0.1', prefix: 16 };
    expect(networkXml({ name: 'i', mode: 'isolated', ipv4: ip })).not.toContain('<forward');
    expect(networkXml({ name: 'r', mode: 'route', ipv4: ip })).toContain("<forward mode='route'/>");
    expect(networkXml({ name: 'o', mode: 'open', ipv4: ip })).toContain("<forward mode='open'/>");
    expect(networkXml({ name: 'b', mode: 'bridge', bridge: 'br0' })).toBe("<network>\n  <name>b</name>\n  <forward mode='bridge'/>\n  <bridge name='br0'/>\n</network>\n");
    // a network without DHCP is fine (guests configure themselves)
    expect(networkXml({ name: 'i', mode: 'isolated', ipv4: ip })).not.toContain('<dhcp');
  });

  it('escapes through the DOM (a name with XML specials stays one text node)', () => {
    const xml = networkXml({ name: "a<b>&'c\"", mode: 'isolated' });
    expect(new NetworkXml(xml).name).toBe("a<b>&'c\"");
  });

  it('refuses what libvirt or DHCP could not use, naming the field', () => {
    const v4 = (over: object) => ({ name: 'n', mode: 'nat', ipv4: { address: '192.168.1.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.1.10', end: '192.168.1.20' }] }, ...over } });
    const cases: [unknown, string][] = [
      [{ name: 'n', mode: 'nat' }, 'spec.ipv4'],
      [{ name: 'n', mode: 'bogus' }, 'spec.mode'],
      [{ name: 'n/x', mode: 'isolated' }, 'spec.name'],
      [{ name: 'n', mode: 'isolated', bridge: 'a-very-long-bridge' }, 'spec.bridge'],
      [{ name: 'n', mode: 'isolated', bridge: 'br 0' }, 'spec.bridge'],
      [{ name: 'n', mode: 'bridge' }, 'spec.bridge'],
      [{ name: 'n', mode: 'bridge', bridge: 'br0', ipv4: { address: '10.0.0.1', prefix: 8 } }, 'spec.ipv4'],
      [{ name: 'n', mode: 'isolated', mtu: 10 }, 'spec.mtu'],
      [{ name: 'n', mode: 'isolated', mac: '01:00:00:00:00:01' }, 'spec.mac'],
      [{ name: 'n', mode: 'isolated', domain: 'bad_domain' }, 'spec.domain'],
      [{ name: 'n', mode: 'isolated', color: 'red' }, 'spec.color'],
      [v4({ address: '192.168.1.0' }), 'spec.ipv4.address'],
      [v4({ address: '192.168.1.255' }), 'spec.ipv4.address'],
      [v4({ address: 'fd00::1' }), 'spec.ipv4.address'],
      [v4({ prefix: 31 }), 'spec.ipv4.prefix'],
      [v4({ dhcp: { ranges: [{ start: '192.168.2.10', end: '192.168.2.20' }] } }), 'spec.ipv4.dhcp.ranges[0].start'],
      [v4({ dhcp: { ranges: [{ start: '192.168.1.20', end: '192.168.1.10' }] } }), 'spec.ipv4.dhcp.ranges[0]'],
      [v4({ dhcp: { ranges: [{ start: '192.168.1.1', end: '192.168.1.10' }] } }), 'spec.ipv4.dhcp.ranges[0]'],
      [v4({ dhcp: { ranges: [{ start: '192.168.1.10', end: '192.168.1.255' }] } }), 'spec.ipv4.dhcp.ranges[0].end'],
      [v4({ dhcp: { ranges: [{ start: '192.168.1.10', end: '192.168.1.20' }, { start: '192.168.1.20', end: '192.168.1.30' }] } }), 'spec.ipv4.dhcp.ranges[1]'],
      [v4({ dhcp: { ranges: [], hosts: [{ ip: '192.168.1.5' }] } }), 'spec.ipv4.dhcp.hosts[0]'],
      [v4({ dhcp: { ranges: [], hosts: [{ mac: '52:54:00:00:00:01', ip: '192.168.9.5' }] } }), 'spec.ipv4.dhcp.hosts[0].ip'],
      [v4({ dhcp: { ranges: [], hosts: [{ mac: '52:54:00:00:00:01', ip: '192.168.1.1' }] } }), 'spec.ipv4.dhcp.hosts[0].ip'],
      [v4({ dhcp: { ranges: [], hosts: [{ mac: '52:54:00:00:00:01', ip: '192.168.1.5' }, { mac: '52:54:00:00:00:02', ip: '192.168.1.5' }] } }), 'spec.ipv4.dhcp.hosts[1].ip'],
      [v4({ dhcp: { ranges: [], hosts: [{ mac: '52:54:00:00:00:01', ip: '192.168.1.5' }, { mac: '52:54:00:00:00:01', ip: '192.168.1.6' }] } }), 'spec.ipv4.dhcp.hosts[1].mac'],
      [v4({ dhcp: { ranges: [], hosts: [{ id: '0:1', ip: '192.168.1.5' }] } }), 'spec.ipv4.dhcp.hosts[0].id'],
      [{ name: 'n', mode: 'isolated', ipv6: { address: 'fd00::1', prefix: 64, dhcp: { ranges: [], hosts: [{ mac: '52:54:00:00:00:01', ip: 'fd00::5' }] } } }, 'spec.ipv6.dhcp.hosts[0].mac'],
    ];
    for (const [spec, argument] of cases) {
      const e = refusal(() => networkXml(spec as NetworkSpec));
      expect(e.code, argument).toBe('INVALID_ARGUMENT');
      expect(e.details?.argument, JSON.stringify(spec)).toBe(argument);
    }
  });

  it('normalizes: MACs lower-cased, addresses canonical', () => {
    const s = checkNetworkSpec(NAT);
    expect(s.mac).toBe('52:54:00:aa:bb:cc');
    expect(s.ipv6!.address).toBe('fd00:150::1');
  });
});

describe('networkHostXml', () => {
  it('builds the IPv4 and IPv6 host entries virNetworkUpdate takes', () => {
    expect(networkHostXml({ mac: '52:54:00:AB:00:01', ip: '192.168.150.11', name: 'web2' })).toBe("<host mac='52:54:00:ab:00:01' name='web2' ip='192.168.150.11'/>");
    expect(networkHostXml({ id: '0:3:0:1:52:54:0:ab:0:1', ip: 'FD00:150::0101', name: 'web2' })).toBe("<host id='0:3:0:1:52:54:0:ab:0:1' name='web2' ip='fd00:150::101'/>");
    expect(networkHostXml({ ip: 'fd00:150::102', name: 'web3' })).toBe("<host name='web3' ip='fd00:150::102'/>");
  });
  it('refuses a MAC for IPv6, a DUID for IPv4, a bad name or address', () => {
    expect(refusal(() => networkHostXml({ mac: '52:54:00:ab:00:01', ip: 'fd00::1' })).details?.argument).toBe('host.mac');
    expect(refusal(() => networkHostXml({ id: '0:1', ip: '10.0.0.1' })).details?.argument).toBe('host.id');
    expect(refusal(() => networkHostXml({ mac: '52:54:00:ab:00:01', ip: '10.0.0.1', name: 'a b' })).details?.argument).toBe('host.name');
    expect(refusal(() => networkHostXml({ mac: '52:54:00:ab:00:01', ip: '10.0.0.300' })).details?.argument).toBe('host.ip');
    expect(refusal(() => networkHostXml({ ip: '10.0.0.1' })).details?.argument).toBe('host');
  });
});

describe('NetworkXml', () => {
  // libvirt's own default network, as `virsh net-dumpxml default` prints it
  const DEFAULT = `<network connections='2'>
  <name>default</name>
  <uuid>9a05da11-e96b-47f3-8253-a3a482e445f5</uuid>
  <forward mode='nat'>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:0A:CD:21'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'>
        <lease expiry='1' unit='hours'/>
      </range>
      <host mac='52:54:00:00:00:0A' name='a' ip='192.168.122.5'/>
    </dhcp>
  </ip>
  <x:extra xmlns:x='urn:example'>kept</x:extra>
</network>
`;
  it('reads libvirt XML and gives it back byte for byte', () => {
    const n = new NetworkXml(DEFAULT);
    expect(n.toJSON()).toEqual({
      name: 'default',
      uuid: '9a05da11-e96b-47f3-8253-a3a482e445f5',
      mode: 'nat',
      forwardMode: 'nat',
      bridge: 'virbr0',
      mtu: undefined,
      mac: '52:54:00:0a:cd:21',
      domain: undefined,
      ips: [{ family: 'ipv4', address: '192.168.122.1', prefix: 24, ranges: [{ start: '192.168.122.2', end: '192.168.122.254' }], hosts: [{ mac: '52:54:00:00:00:0a', name: 'a', ip: '192.168.122.5' }], dhcp: true }],
    });
    expect(n.toString()).toBe(DEFAULT);
    expect(n.dhcpIndex('ipv4')).toBe(0);
    expect(n.dhcpIndex('ipv6')).toBe(-1);
  });
  it('reads a round trip of what networkXml builds', () => {
    const n = new NetworkXml(networkXml(NAT));
    expect(n.mode).toBe('nat');
    expect(n.mtu).toBe(9000);
    expect(n.domain).toBe('lab.test');
    expect(n.ips.map((i) => [i.family, i.prefix, i.hosts])).toEqual([
      ['ipv4', 24, [{ mac: '52:54:00:00:00:01', name: 'web1', ip: '192.168.150.10' }]],
      ['ipv6', 64, [{ id: '0:3:0:1:52:54:0:0:0:1', name: 'web1', ip: 'fd00:150::100' }]],
    ]);
    expect(n.dhcpIndex('ipv6')).toBe(1);
  });
  it('names modes: isolated without <forward>, nat for a <forward> without mode, undefined for hostdev', () => {
    expect(new NetworkXml('<network><name>x</name></network>').mode).toBe('isolated');
    expect(new NetworkXml('<network><name>x</name><forward/></network>').mode).toBe('nat');
    const h = new NetworkXml("<network><name>x</name><forward mode='hostdev'/></network>");
    expect(h.mode).toBeUndefined();
    expect(h.forwardMode).toBe('hostdev');
  });
  it('refuses what is not network XML', () => {
    expect(refusal(() => new NetworkXml('<domain/>')).code).toBe('INVALID_ARGUMENT');
    expect(refusal(() => new NetworkXml('<network>')).code).toBe('INVALID_ARGUMENT');
  });
});

describe('allocateAddress', () => {
  const net = (hosts: object[] = [], ranges = [{ start: '10.9.0.10', end: '10.9.0.14' }]) =>
    new NetworkXml(networkXml({ name: 'alloc', mode: 'isolated', ipv4: { address: '10.9.0.1', prefix: 24, dhcp: { ranges, hosts: hosts as never } } }));

  it('picks the lowest free address, deterministically, skipping hosts, leases of other MACs and exclusions', () => {
    const n = net([{ mac: '52:54:00:00:00:01', ip: '10.9.0.10' }]);
    expect(allocateAddress(n)).toBe('10.9.0.11');
    expect(allocateAddress(n)).toBe('10.9.0.11');
    const leases = [{ ip: '10.9.0.11', mac: '52:54:00:00:00:99' }];
    expect(allocateAddress(n, { leases })).toBe('10.9.0.12');
    expect(allocateAddress(n, { leases, mac: '52:54:00:00:00:99' })).toBe('10.9.0.11'); // its own lease
    expect(allocateAddress(n, { leases, exclude: ['10.9.0.12', '10.9.0.13'] })).toBe('10.9.0.14');
  });

  it('goes on to the next range', () => {
    const n = net([], [{ start: '10.9.0.10', end: '10.9.0.10' }, { start: '10.9.0.50', end: '10.9.0.51' }]);
    expect(allocateAddress(n, { exclude: ['10.9.0.10'] })).toBe('10.9.0.50');
  });

  it('refuses a full range with ADDRESS_RANGE_FULL', () => {
    const n = net([{ mac: '52:54:00:00:00:01', ip: '10.9.0.10' }]);
    const e = refusal(() => allocateAddress(n, { leases: [{ ip: '10.9.0.11' }, { ip: '10.9.0.12' }], exclude: ['10.9.0.13', '10.9.0.14'] }));
    expect(e.code).toBe('ADDRESS_RANGE_FULL');
    expect(e.details).toMatchObject({ network: 'alloc', family: 'ipv4', size: 5 });
  });

  it('checks a wanted address: inside a range, not taken', () => {
    const n = net([{ mac: '52:54:00:00:00:01', ip: '10.9.0.10', name: 'a' }]);
    expect(allocateAddress(n, { ip: '10.9.0.12' })).toBe('10.9.0.12');
    expect(refusal(() => allocateAddress(n, { ip: '10.9.0.200' })).code).toBe('INVALID_ARGUMENT');
    expect(refusal(() => allocateAddress(n, { ip: 'fd00::1' })).details?.argument).toBe('ip');
    const e = refusal(() => allocateAddress(n, { ip: '10.9.0.10' }));
    expect(e.code).toBe('ADDRESS_IN_USE');
    expect(e.details).toMatchObject({ by: 'host', mac: '52:54:00:00:00:01' });
    expect(refusal(() => allocateAddress(n, { ip: '10.9.0.11', leases: [{ ip: '10.9.0.11', mac: '52:54:00:00:00:07' }] })).details).toMatchObject({ by: 'lease' });
    expect(refusal(() => allocateAddress(n, { ip: '10.9.0.11', exclude: ['10.9.0.11'] })).details).toMatchObject({ by: 'excluded' });
  });

  it('refuses a MAC that already has a reservation, and a network without a DHCP range', () => {
    const n = net([{ mac: '52:54:00:00:00:01', ip: '10.9.0.10' }]);
    expect(refusal(() => allocateAddress(n, { mac: '52:54:00:00:00:01' })).code).toBe('ALREADY_EXISTS');
    expect(refusal(() => allocateAddress(n, { family: 'ipv6' })).code).toBe('INVALID_ARGUMENT');
    expect(refusal(() => allocateAddress(n, { mac: 'nope' })).details?.argument).toBe('mac');
  });

  it('handles IPv6 ranges of 2^64 addresses without walking them', () => {
    const n = new NetworkXml(networkXml({ name: 'v6', mode: 'isolated', ipv6: { address: 'fd00::1', prefix: 64, dhcp: { ranges: [{ start: 'fd00::2', end: 'fd00::ffff:ffff:ffff:ffff' }], hosts: [{ name: 'a', ip: 'fd00::2' }] } } }));
    expect(allocateAddress(n, { family: 'ipv6', exclude: ['fd00::3'] })).toBe('fd00::4');
  });
});

describe('built XML against libvirt (test:///default through virsh)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-netxml-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const roundTrip = async (xml: string, name: string) => {
    const file = join(dir, `${name}.xml`);
    writeFileSync(file, xml);
    // one virsh process: test:///default keeps its state per connection
    return spawnAsync('virsh', ['-q', '-c', 'test:///default', `net-define ${file}; net-dumpxml ${name}`], { env: { ...process.env, LC_ALL: 'C' } });
  };

  it('libvirt accepts every mode and reads back what was built', async () => {
    const specs: NetworkSpec[] = [
      NAT,
      { name: 'iso', mode: 'isolated', ipv4: { address: '10.1.0.1', prefix: 16, dhcp: { ranges: [{ start: '10.1.0.100', end: '10.1.0.200' }] } } },
      { name: 'rt', mode: 'route', ipv4: { address: '10.2.0.1', prefix: 24 } },
      { name: 'op', mode: 'open', ipv6: { address: 'fd00:3::1', prefix: 64, dhcp: { ranges: [{ start: 'fd00:3::10', end: 'fd00:3::20' }] } } },
      { name: 'br', mode: 'bridge', bridge: 'br0' },
    ];
    for (const spec of specs) {
      const built = new NetworkXml(networkXml(spec));
      const r = await roundTrip(built.toString(), spec.name);
      expect(r.stderr, spec.name).toBe('');
      expect(r.status).toBe(0);
      const back = new NetworkXml(r.stdout.slice(r.stdout.indexOf('<network')));
      expect({ ...back.toJSON(), uuid: undefined }, spec.name).toEqual({ ...built.toJSON(), uuid: undefined });
    }
  });

  it('virNetworkUpdate takes networkHostXml entries and refuses a second host with the same ip, MAC or name (what reserve relies on across processes)', async () => {
    const xml = networkXml({ name: 'upd', mode: 'isolated', ipv4: { address: '10.5.0.1', prefix: 24, dhcp: { ranges: [{ start: '10.5.0.10', end: '10.5.0.20' }] } } });
    const file = join(dir, 'upd.xml');
    writeFileSync(file, xml);
    const add = (h: Parameters<typeof networkHostXml>[0]) => `net-update upd add-last ip-dhcp-host "${networkHostXml(h)}" --live --config`;
    const r = await spawnAsync('virsh', ['-c', 'test:///default', [
      `net-define ${file}`, 'net-start upd',
      add({ mac: '52:54:00:00:00:01', ip: '10.5.0.10', name: 'a' }),
      add({ mac: '52:54:00:00:00:02', ip: '10.5.0.10', name: 'b' }),
      add({ mac: '52:54:00:00:00:01', ip: '10.5.0.11', name: 'c' }),
      add({ mac: '52:54:00:00:00:03', ip: '10.5.0.12', name: 'a' }),
      'net-dumpxml upd',
    ].join('; ')], { env: { ...process.env, LC_ALL: 'C' } });
    expect(r.stderr.match(/there is an existing dhcp host entry/g)).toHaveLength(3);
    const back = new NetworkXml(r.stdout.slice(r.stdout.indexOf('<network')));
    expect(back.ips[0]!.hosts).toEqual([{ mac: '52:54:00:00:00:01', name: 'a', ip: '10.5.0.10' }]);
  });

  it('libvirt refuses a MAC in an IPv6 host too (the rule networkXml applies first)', async () => {
    const xml = "<network><name>bad6</name><ip family='ipv6' address='fd00::1' prefix='64'><dhcp><host mac='52:54:00:00:00:01' ip='fd00::5'/></dhcp></ip></network>";
    const r = await roundTrip(xml, 'bad6');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/mac/i);
  });
});
