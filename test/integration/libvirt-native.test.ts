// The generated native libvirt surface on the real daemon (qemu:///system), where test:/// cannot:
// stats and typed parameters of a running QEMU domain (a diskless TCG guest: up in ~2 s),
// the QEMU monitor, secrets and nwfilters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { native, type NativeConnect, type NativeDomain } from '../../src/native.js';
import { callNative } from '../../src/errors.js';

let c: NativeConnect;
let dom: NativeDomain | undefined;
const tag = randomUUID().slice(0, 8);
const name = `vk-native-${tag}`;

beforeAll(async () => {
  c = new (native().Connect)();
  await c.open('qemu:///system', 0, 2);
  // Transient, diskless, TCG: nothing to clean up but the running process.
  dom = await c.domainCreateXML(
    `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
      `<os><type arch='x86_64' machine='pc'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>`,
    0,
  );
}, 60_000);
afterAll(async () => {
  await dom?.destroy(0).catch(() => undefined);
  dom?.free();
  await c?.close();
});

describe('a running QEMU domain', () => {
  it('has stats as typed records', async () => {
    const [rec] = await c.domainListGetStats([dom!], 0);
    expect(rec!.domain.getName()).toBe(name);
    expect(rec!.params['state.state']).toBe(1);
    expect(typeof rec!.params['cpu.time']).toBe('bigint');
    expect(typeof rec!.params['balloon.maximum']).toBe('bigint');
    rec!.domain.free();
    const [total] = await dom!.getCPUStats(-1, 1);
    expect(total!.cpu_time).toEqual(expect.any(BigInt));
    const tags = (await dom!.memoryStats()).map((m) => m.tag);
    expect(tags.length).toBeGreaterThan(0);
    expect((await dom!.getJobInfo()).type).toBe(0); // VIR_DOMAIN_JOB_NONE
  });

  it('round-trips scheduler parameters (ullong field as bigint)', async () => {
    const before = await dom!.getSchedulerParametersFlags();
    expect(typeof before.cpu_shares).toBe('bigint');
    await dom!.setSchedulerParametersFlags({ cpu_shares: 512n });
    expect((await dom!.getSchedulerParametersFlags()).cpu_shares).toBe(512n);
    await dom!.setSchedulerParametersFlags({ cpu_shares: before.cpu_shares });
    const blkio = await dom!.getBlkioParameters();
    expect(typeof blkio.weight).toBe('number');
  });

  it('answers the QEMU monitor and pin queries', async () => {
    const r = JSON.parse((await dom!.qemuMonitorCommand('{"execute":"query-status"}', 0))!);
    expect(r.return.running).toBe(true);
    const map = await dom!.getEmulatorPinInfo(1);
    expect(map).toBeInstanceOf(Buffer);
    expect((await dom!.getVcpuPinInfo(1, 1)).length).toBe(1);
  });
});

describe('host', () => {
  it('reads memory and CPU maps', async () => {
    expect(typeof (await c.nodeGetMemoryStats(-1)).total).toBe('bigint');
    const m = await c.nodeGetCPUMap();
    expect(m.cpus).toBeGreaterThan(0);
    expect(m.cpumap.length).toBe(Math.ceil(m.cpus / 8));
    expect(Object.keys(await c.nodeGetMemoryParameters())).toContain('shm_pages_to_scan');
  });
});

describe('secrets', () => {
  it('defines a secret, sets and reads its value, undefines it', async () => {
    const usage = `virtkit-test-${tag}`;
    const s = await c.secretDefineXML(`<secret ephemeral='no' private='no'><usage type='volume'><volume>/tmp/${usage}</volume></usage></secret>`);
    try {
      await s.setValue(Buffer.from('s3cret\0bytes'));
      expect((await s.getValue()).toString()).toBe('s3cret\0bytes');
      expect(await s.getUsageID()).toBe(`/tmp/${usage}`);
      const again = await c.secretLookupByUUIDString(await s.getUUIDString());
      expect(await again.getUsageID()).toBe(`/tmp/${usage}`);
      again.free();
    } finally {
      await s.undefine();
      s.free();
    }
    await expect(callNative(() => c.secretLookupByUsage(2, `/tmp/${usage}`))).rejects.toMatchObject({ code: 'VIR_ERR_NO_SECRET' });
  });
});

describe('nwfilters', () => {
  it('lists the shipped filters, defines and undefines one', async () => {
    const names = await Promise.all((await c.listAllNWFilters()).map((f) => f.getName()));
    expect(names).toContain('clean-traffic');
    const n = `vk-filter-${tag}`;
    const f = await c.nwFilterDefineXML(`<filter name='${n}' chain='root'><rule action='accept' direction='in'><all/></rule></filter>`);
    try {
      expect(await f.getXMLDesc()).toContain(`name='${n}'`);
      expect(await (await c.nwFilterLookupByName(n)).getName()).toBe(n);
    } finally {
      await f.undefine();
      f.free();
    }
  });
});
