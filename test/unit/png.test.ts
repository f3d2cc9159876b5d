// The PPM <-> PNG conversion of screenshots (src/png.ts): what the encoder writes is decoded again
// (inflate, unfilter, every filter type) and compared pixel for pixel; headers, CRCs and damaged
// input are checked. No daemon.
import { describe, it, expect } from 'vitest';
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { crc32, encodePng, parsePpm, pngSize, pngToPpm, ppmToPng } from '../../src/png.js';

function ppm(width: number, height: number, maxval: number, samples: Buffer, header?: string): Buffer {
  return Buffer.concat([Buffer.from(header ?? `P6\n${width} ${height}\n${maxval}\n`, 'latin1'), samples]);
}
/** A screen-like image: flat areas, a gradient, some noise. */
function screen(width: number, height: number): Buffer {
  const b = Buffer.alloc(width * height * 3);
  const noise = randomBytes(b.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (y < height / 3) b.fill(0x20, i, i + 3);
      else if (y < (2 * height) / 3) {
        b[i] = x & 0xff;
        b[i + 1] = y & 0xff;
        b[i + 2] = (x + y) & 0xff;
      } else noise.copy(b, i, i, i + 3);
    }
  return b;
}
function chunks(png: Buffer): { type: string; data: Buffer; crcOk: boolean }[] {
  const out = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    out.push({ type, data, crcOk: crc32(png.subarray(at + 4, at + 8), data) === png.readUInt32BE(at + 8 + len) });
    at += 12 + len;
  }
  return out;
}

describe('PPM to PNG', () => {
  it('crc32 is the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082);
  });

  it('parses P6 headers with comments and refuses anything else', () => {
    const px = Buffer.alloc(2 * 3 * 3, 7);
    expect(parsePpm(ppm(2, 3, 255, px, 'P6 # made by a test\n2 3\n# maxval next\n255\n'))).toMatchObject({ width: 2, height: 3, maxval: 255 });
    for (const bad of [Buffer.from('P3\n1 1\n255\n1 2 3'), ppm(2, 3, 255, px.subarray(1)), ppm(0, 3, 255, px), ppm(2, 3, 70000, px), Buffer.from('P6\n2 3\n255')])
      expect(() => parsePpm(bad)).toThrow(expect.objectContaining({ code: 'IMAGE_CORRUPT' }));
  });

  it('a 8-bit PPM becomes a PNG with the right IHDR and CRCs, and decodes back to the same pixels', async () => {
    const [w, h] = [320, 181];
    const px = screen(w, h);
    const png = await ppmToPng(ppm(w, h, 255, px));
    expect(pngSize(png)).toEqual({ width: w, height: h });
    const cs = chunks(png);
    expect(cs.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(cs.every((c) => c.crcOk)).toBe(true);
    expect([...cs[0]!.data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    // Smaller than the samples (a third is noise), and a flat screen shrinks to almost nothing.
    expect(png.length).toBeLessThan(px.length);
    const flat = await ppmToPng(ppm(w, h, 255, Buffer.alloc(px.length, 0x33)));
    expect(flat.length).toBeLessThan(px.length / 100);
    const back = parsePpm(await pngToPpm(png));
    expect(back).toMatchObject({ width: w, height: h, maxval: 255 });
    expect(back.pixels.equals(px)).toBe(true);
  });

  it('16-bit and small-maxval PPMs keep their values', async () => {
    const px16 = randomBytes(5 * 4 * 6);
    const p16 = await ppmToPng(ppm(5, 4, 65535, px16));
    expect(chunks(p16)[0]!.data[8]).toBe(16);
    expect(parsePpm(await pngToPpm(p16)).pixels.equals(px16)).toBe(true);
    const px15 = Buffer.from([0, 15, 7, 15, 0, 1]);
    const back = parsePpm(await pngToPpm(await ppmToPng(ppm(2, 1, 15, px15))));
    expect([...back.pixels]).toEqual([0, 255, 119, 255, 0, 17]);
  });

  it('the decoder undoes every filter type (Average and Paeth too), grey and RGBA', async () => {
    const [w, h] = [7, 5];
    const rgba = randomBytes(w * h * 4);
    const stride = w * 4;
    // Rows filtered with types 0..4 by hand.
    const raw = Buffer.alloc(h * (stride + 1));
    for (let y = 0; y < h; y++) {
      const f = y % 5;
      raw[y * (stride + 1)] = f;
      for (let x = 0; x < stride; x++) {
        const v = rgba[y * stride + x]!;
        const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
        const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
        const c = y > 0 && x >= 4 ? rgba[(y - 1) * stride + x - 4]! : 0;
        const p = a + b - c;
        const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const pred = [0, a, b, (a + b) >> 1, pr][f]!;
        raw[y * (stride + 1) + 1 + x] = (v - pred) & 0xff;
      }
    }
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.from(type, 'latin1'), data));
      return Buffer.concat([len, Buffer.from(type, 'latin1'), data, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8;
    ihdr[9] = 6;
    const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const png = Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
    const back = parsePpm(await pngToPpm(png));
    const rgb = Buffer.alloc(w * h * 3);
    for (let i = 0; i < w * h; i++) rgba.copy(rgb, i * 3, i * 4, i * 4 + 3);
    expect(back.pixels.equals(rgb)).toBe(true);

    // A damaged CRC and a truncated file are refused; a palette image is not converted.
    const broken = Buffer.from(png);
    broken[20]! ^= 1;
    await expect(pngToPpm(broken)).rejects.toMatchObject({ code: 'IMAGE_CORRUPT' });
    await expect(pngToPpm(png.subarray(0, 40))).rejects.toMatchObject({ code: 'IMAGE_CORRUPT' });
    const pal = Buffer.from(ihdr);
    pal[9] = 3;
    await expect(pngToPpm(Buffer.concat([sig, chunk('IHDR', pal), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]))).rejects.toMatchObject({ code: 'FORMAT_MISMATCH' });
  });

  it('encodePng checks the sample count', async () => {
    await expect(encodePng(2, 2, 8, Buffer.alloc(11))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(pngSize(Buffer.from('not a png at all, not at all'))).toBeUndefined();
  });
});
