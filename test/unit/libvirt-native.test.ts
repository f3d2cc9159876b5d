// The generated native libvirt surface on test:///default: one smoke test per object kind the
// test driver has (networks, host interfaces, node devices, snapshots, checkpoints), typed
// parameters both ways, host and stats calls, strict arguments, lifetimes. The public TypeScript
// face is built on these typings elsewhere; this checks the native layer itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { native, type NativeConnect, type NativeDomain } from '../../src/native.js';
import { callNative } from '../../src/errors.js';

let c: NativeConnect;
let dom: NativeDomain;
const name = `vk-native-${randomUUID().slice(0, 8)}`;
const domXml = `<domain type='test'><name>${name}</name><memory>262144</memory><vcpu>2</vcpu><os><type>hvm</type></os>` +
  `<devices><disk type='file' device='disk'><source file='/guest/${name}.img'/><target dev='vda'/></disk>` +
  `<interface type='network'><source network='default'/><mac address='52:54:00:aa:bb:01'/></interface></devices></domain>`;

beforeAll(async () => {
  c = new (native().Connect)();
  await c.open('test:///default', 0, 1);
  dom = await c.domainDefineXML(domXml, 0);
});
afterAll(async () => {
  await dom?.destroy(0).catch(() => undefined);
  await dom?.undefine(0).catch(() => undefined);
  await c?.close();
});

describe('networks', () => {
  it('defines, starts, looks up by name and raw UUID, stops and undefines a network', async () => {
    const n = `vknet${randomUUID().slice(0, 6)}`;
    const net = await c.networkDefineXML(`<network><name>${n}</name><bridge name='${n}'/><ip address='10.77.0.1' netmask='255.255.255.0'/></network>`);
    try {
      expect(await net.isActive()).toBe(false);
      await net.create();
      expect(await net.isActive()).toBe(true);
      expect(await net.getBridgeName()).toBe(n);
      expect(net.getName()).toBe(n); // no RPC: the value itself, not a promise
      expect(net.getUUIDString()).toMatch(/^[0-9a-f-]{36}$/);
      expect(await net.getXMLDesc()).toContain(`<name>${n}</name>`);
      const uuid = await net.getUUID();
      expect(uuid).toBeInstanceOf(Buffer);
      expect(uuid.length).toBe(16);
      const again = await c.networkLookupByUUID(uuid);
      expect(again.getUUIDString()).toBe(net.getUUIDString());
      again.free();
      const names = await Promise.all((await c.listAllNetworks()).map((x) => x.getName()));
      expect(names).toContain(n);
      expect(await c.listNetworks(64)).toContain(n); // the deprecated name list, sized by the caller
      await net.setAutostart(1);
      expect(await net.getAutostart()).toBe(1);
      await net.destroy();
    } finally {
      await net.undefine().catch(() => undefined);
      net.free();
    }
    await expect(callNative(() => c.networkLookupByName(n))).rejects.toMatchObject({ code: 'VIR_ERR_NO_NETWORK' });
  });
});

describe('host interfaces and node devices', () => {
  it('lists and reads host interfaces', async () => {
    const ifaces = await c.listAllInterfaces();
    expect(ifaces.length).toBeGreaterThan(0);
    const i = await c.interfaceLookupByName(await ifaces[0]!.getName());
    expect(await i.getMACString()).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(await i.getXMLDesc()).toContain('<interface');
    expect(typeof (await i.isActive())).toBe('boolean');
  });

  it('lists node devices and their capabilities', async () => {
    const names = await Promise.all((await c.listAllNodeDevices()).map((d) => d.getName()));
    expect(names).toContain('computer');
    const d = await c.nodeDeviceLookupByName('computer');
    expect(await d.numOfCaps()).toBe(1);
    expect(await d.listCaps(8)).toEqual(['system']);
    expect(await d.getXMLDesc()).toContain('<device>');
    expect(await c.nodeListDevices('system', 16)).toEqual(['computer']);
  });
});

describe('snapshots and checkpoints as objects', () => {
  it('creates, walks and deletes snapshots', async () => {
    const s1 = await dom.snapshotCreate('<domainsnapshot><name>one</name></domainsnapshot>');
    const s2 = await dom.snapshotCreate('<domainsnapshot><name>two</name></domainsnapshot>');
    expect(await s2.getName()).toBe('two');
    expect(await s2.isCurrent()).toBe(true);
    expect(await (await s2.getParent()).getName()).toBe('one');
    expect(await Promise.all((await s1.listAllChildren()).map((s) => s.getName()))).toEqual(['two']);
    // The snapshot lends its domain: each wrapper takes a reference of its own, so freeing many
    // of them leaves the domain's count intact (an unowned wrapper would free it from under us).
    for (let i = 0; i < 50; i++) (await s1.getDomain()).free();
    await new Promise((r) => setTimeout(r, 50)); // the batched frees run on a call thread
    expect(await (await s1.getDomain()).getName()).toBe(name);
    expect(await (await s1.getDomain()).getXMLDesc(0)).toContain(`<name>${name}</name>`);
    expect(await s1.getXMLDesc()).toContain('<domainsnapshot>');
    expect(await dom.listAllSnapshots(0)).toEqual(expect.arrayContaining(['one', 'two'])); // the hand-written names list
    await expect(callNative(() => s1.getParent())).rejects.toMatchObject({ code: 'VIR_ERR_NO_DOMAIN_SNAPSHOT' });
    await s2.delete();
    await s1.delete();
    expect(await dom.snapshotNum()).toBe(0);
  });

  it('creates, lists and deletes a checkpoint (of a running domain)', async () => {
    await dom.create(0);
    const cp = await dom.checkpointCreateXML('<domaincheckpoint><name>cp1</name></domaincheckpoint>');
    expect(await cp.getName()).toBe('cp1');
    expect(await Promise.all((await dom.listAllCheckpoints()).map((x) => x.getName()))).toEqual(['cp1']);
    expect(await cp.getXMLDesc()).toContain('<domaincheckpoint>');
    await cp.delete();
    expect(await dom.listAllCheckpoints()).toEqual([]);
  });
});

describe('typed parameters, stats and host calls', () => {
  it('round-trips typed parameters as plain objects (64-bit as bigint)', async () => {
    await dom.setMemoryParameters({ hard_limit: 1048576n, soft_limit: 524288 });
    const p = await dom.getMemoryParameters();
    expect(p.hard_limit).toBe(1048576n);
    expect(p.soft_limit).toBe(524288n);
  });

  it('refuses a typed parameter of the wrong type or unknown, naming the field, before C', async () => {
    await expect(callNative(() => dom.setMemoryParameters({ hard_limit: 'lots' }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("field 'hard_limit'"),
    });
    await expect(callNative(() => dom.setMemoryParameters({ no_such_field: 3 }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await dom.getMemoryParameters()).hard_limit).toBe(1048576n); // unchanged
  });

  it('reads stats of a running domain', async () => {
    if (!(await dom.isActive())) await dom.create(0);
    const recs = await c.getAllDomainStats(0, 0);
    const mine = recs.find((r) => r.domain.getName() === name)!;
    expect(mine.params['state.state']).toBe(1);
    for (const r of recs) r.domain.free();
    const [one] = await c.domainListGetStats([dom], 0);
    expect(one!.domain.getName()).toBe(name);
    const [total] = await dom.getCPUStats(-1, 1);
    expect(typeof total!.cpu_time).toBe('bigint');
    for (const m of await dom.memoryStats()) expect(m).toEqual({ tag: expect.any(Number), val: expect.any(BigInt) });
    expect((await dom.blockStats('vda')).rdReq).toEqual(expect.any(BigInt));
    expect((await dom.interfaceAddresses(0))[0]).toMatchObject({ hwaddr: expect.any(String), addrs: expect.any(Array) });
    expect(await dom.getVcpusFlags(0)).toBe(2);
    await dom.setVcpusFlags(1, 0);
    expect((await dom.getInfo()).vcpus).toBe(1);
  });

  it('answers host calls', async () => {
    expect(typeof (await c.nodeGetFreeMemory())).toBe('bigint');
    const cells = await c.nodeGetCellsFreeMemory(0, 8);
    expect(cells.length).toBeGreaterThan(0);
    expect(typeof cells[0]).toBe('bigint');
    expect(typeof (await c.nodeGetCPUStats(-1)).user).toBe('bigint');
    expect(await c.getCPUModelNames('x86_64')).toContain('qemu64');
    expect(await c.getSysinfo(0)).toContain('<sysinfo');
    expect(native().getVersion()).toBeGreaterThanOrEqual(9000000);
  });

  it('reports a driver without secrets or nwfilters as a typed libvirt error', async () => {
    await expect(callNative(() => c.listAllSecrets())).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    await expect(callNative(() => c.listAllNWFilters())).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
  });
});

describe('the boundary', () => {
  it('refuses wrong types, ranges, NUL and extra arguments with INVALID_ARGUMENT', async () => {
    const bad: (() => Promise<unknown>)[] = [
      () => dom.setMemory(-1),
      () => dom.setMemory(1.5),
      () => dom.setMemory('1' as never),
      () => dom.setUserPassword('root', 'a\0b'),
      () => (dom as unknown as { getOSType(x: number): Promise<string> }).getOSType(1),
      () => c.networkLookupByUUID(Buffer.alloc(15)),
      () => c.nodeGetCellsFreeMemory(0, 0),
    ];
    for (const f of bad) await expect(callNative(f)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a freed wrapper refuses calls; a dup keeps its own reference', async () => {
    const net = await c.networkLookupByName('default');
    const twin = net.dup();
    net.free();
    net.free(); // idempotent
    await expect(callNative(() => net.getName())).rejects.toThrow(/freed/);
    expect(await twin.getName()).toBe('default');
    twin.free();
  });
});
