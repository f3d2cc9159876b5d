// Domain.screenshot and Domain.console on test:///default (no daemon): the test driver's screen
// comes as PNG (passed through) and as PPM (decoded from it) with the same size; a driver without
// consoles gives a typed error; the native boundary refuses what is not a Domain.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, VirtError, type Domain } from '../../src/index.js';
import { native } from '../../src/native.js';
import { parsePpm, pngSize } from '../../src/png.js';

describe('screenshot and console on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.domain('test');
  });
  afterAll(() => conn.close());

  it('a PNG by default, a PPM of the same size with format: ppm', async () => {
    const png = await dom.screenshot();
    expect(png.mime).toBe('image/png');
    const size = pngSize(png.data)!;
    expect(size.width).toBeGreaterThan(0);
    expect(size.height).toBeGreaterThan(0);
    const ppm = await dom.screenshot({ format: 'ppm', screen: 0 });
    expect(ppm.mime).toBe('image/x-portable-pixmap');
    const p = parsePpm(ppm.data);
    expect({ width: p.width, height: p.height }).toEqual(size);
    expect(p.pixels.length).toBe(size.width * size.height * 3);
  });

  it('bad options are INVALID_ARGUMENT; a driver without consoles is a VirtError', async () => {
    for (const bad of [{ screen: -1 }, { screen: 2 ** 32 }, { format: 'jpeg' }, 'png'])
      await expect(dom.screenshot(bad as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const e = await dom.console().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VirtError);
    expect((e as VirtError).code).toBe('VIR_ERR_NO_SUPPORT');
    await expect(dom.console({ devname: 'x\0y' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('the native console and screenshot take only a Domain', async () => {
    const n = native() as unknown as { ConsoleStream: new () => { open(d: unknown, dev: null, f: number): Promise<void> }; domainScreenshot(d: unknown, s: number, f: number): Promise<unknown> };
    await expect(Promise.resolve().then(() => new n.ConsoleStream().open({}, null, 0))).rejects.toMatchObject({ native: 'invalid' });
    await expect(Promise.resolve().then(() => n.domainScreenshot({}, 0, 0))).rejects.toMatchObject({ native: 'invalid' });
  });
});
