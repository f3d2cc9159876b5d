// Managed save, save to a file and restore, on test:///default (the test driver writes a real
// image file holding the domain XML).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Domain } from '../../src/index.js';

describe('saving domain state on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  const name = `vk-save-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'vk-save-'));
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.defineDomain(`<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  });
  afterAll(async () => {
    if (await dom.isActive().catch(() => false)) await dom.destroy();
    await dom.undefine().catch(() => undefined);
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('managed save stops the domain and the next start resumes from the image', async () => {
    await dom.start();
    expect(await dom.hasManagedSave()).toBe(false);
    await dom.managedSave();
    expect(await dom.state()).toEqual({ state: 'shutoff', reason: 'saved' });
    expect(await dom.hasManagedSave()).toBe(true);
    await dom.start(); // the test driver reports this start as 'booted' too
    expect((await dom.state()).state).toBe('running');
    expect(await dom.hasManagedSave()).toBe(false);
  });

  it('removeManagedSave drops the image: the next start boots', async () => {
    await dom.managedSave();
    await dom.removeManagedSave();
    expect(await dom.hasManagedSave()).toBe(false);
    expect(await dom.state()).toEqual({ state: 'shutoff', reason: 'saved' });
    await dom.start();
    expect((await dom.state()).state).toBe('running');
  });

  it('save(path) then conn.restore(path) gives the domain back', async () => {
    const img = join(dir, 'state.img');
    await dom.save(img);
    expect(existsSync(img)).toBe(true);
    expect(await dom.state()).toEqual({ state: 'shutoff', reason: 'saved' });
    expect(await conn.saveImageXml(img)).toContain(`<name>${name}</name>`);
    const back = await conn.restore(img);
    expect(back.uuid).toBe(dom.uuid);
    expect(await back.state()).toEqual({ state: 'running', reason: 'restored' });
  });

  it('refuses bad input before any call, and leaves the domain as it was', async () => {
    await expect(dom.save('relative.img')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'path' } });
    await expect(dom.save(join(dir, 'x.img'), { paused: true, running: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.save(join(dir, 'x.img'), { xml: '<domain><oops>' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.xml' } });
    await expect(dom.managedSave({ xml: '<domain/>' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.xml' } });
    await expect(conn.restore(join(dir, 'missing.img'))).rejects.toMatchObject({ name: 'VirtError' });
    await expect(conn.restore('x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await dom.state()).state).toBe('running');
    expect(existsSync(join(dir, 'x.img'))).toBe(false);
  });
});
