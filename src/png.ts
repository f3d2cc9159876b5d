// PPM (what QEMU's screendump gives) to PNG and back, on node:zlib.
//
// Why our own encoder and not an npm package: writing a PNG of 8- or 16-bit RGB is a signature,
// three chunks with CRC-32 and zlib-deflated scanlines (RFC 2083); node:zlib is the deflater, so
// this file is the whole encoder and adds no dependency. The established packages are either
// unmaintained for years (pngjs: last release 2021, a full decoder/encoder stack) or ship much more
// than this needs (sharp: native libvips, tens of MiB). Tested in test/unit/png.test.ts by
// decoding what it writes (inflate, unfilter) and comparing every pixel.
import { deflate, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { VirtkitError } from './errors.js';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

/** A decoded PPM (P6): RGB samples, 1 byte each when maxval < 256, else 2 (big-endian). */
export interface Ppm {
  width: number;
  height: number;
  maxval: number;
  /** width * height * 3 samples, as in the file. */
  pixels: Buffer;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/** Parses a binary PPM (P6, Netpbm's format). Anything else is `IMAGE_CORRUPT`. */
export function parsePpm(buf: Buffer): Ppm {
  const bad = (why: string) => new VirtkitError('IMAGE_CORRUPT', `not a binary PPM image: ${why}`);
  if (buf.length < 2 || buf[0] !== 0x50 || buf[1] !== 0x36) throw bad('no P6 magic');
  let i = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    // Whitespace and comments ('#' to the end of the line) between the header fields.
    while (i < buf.length && (isSpace(buf[i]!) || buf[i] === 0x23)) {
      if (buf[i] === 0x23) while (i < buf.length && buf[i] !== 0x0a && buf[i] !== 0x0d) i++;
      else i++;
    }
    const start = i;
    while (i < buf.length && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
    if (i === start || i - start > 9) throw bad('bad header field');
    fields.push(Number(buf.toString('latin1', start, i)));
  }
  // Exactly one whitespace byte before the samples.
  if (i >= buf.length || !isSpace(buf[i]!)) throw bad('no whitespace after the header');
  i++;
  const [width, height, maxval] = fields as [number, number, number];
  if (width < 1 || height < 1 || maxval < 1 || maxval > 65535) throw bad(`bad size or maxval (${width}x${height}, ${maxval})`);
  const bytes = width * height * 3 * (maxval < 256 ? 1 : 2);
  if (buf.length - i < bytes) throw bad(`truncated (${buf.length - i} of ${bytes} bytes of samples)`);
  return { width, height, maxval, pixels: buf.subarray(i, i + bytes) };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG (and zlib) define it. */
export function crc32(...parts: Buffer[]): number {
  let c = 0xffffffff;
  for (const b of parts) for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(head.subarray(4), data), 0);
  return Buffer.concat([head, data, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Scanlines with filter type None: each row is one native copy, so encoding costs the main
 * thread ~1 ms for a 1024x768 screen and deflate runs on libuv's pool. Per-row adaptive filters
 * (libpng's heuristic) made files ~20% smaller on gradients but cost ~100 ms of JS per screen,
 * a stall of the caller's event loop; screens are mostly flat areas, which deflate's LZ77 takes
 * as well unfiltered.
 */
function scanlines(px: Buffer, width: number, height: number, bpp: number): Buffer {
  const stride = width * bpp;
  const out = Buffer.alloc(height * (stride + 1)); // filter bytes stay 0
  for (let y = 0; y < height; y++) px.copy(out, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return out;
}

/** PNG of RGB samples (8 bits, or 16 bits big-endian), truecolour, no interlace. */
export async function encodePng(width: number, height: number, depth: 8 | 16, rgb: Buffer): Promise<Buffer> {
  const bpp = depth === 8 ? 3 : 6;
  if (rgb.length !== width * height * bpp) throw new VirtkitError('INVALID_ARGUMENT', `expected ${width * height * bpp} bytes of samples, got ${rgb.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = 2; // truecolour
  // compression 0, filter method 0, no interlace
  const idat = await deflateAsync(scanlines(rgb, width, height, bpp), { level: 6 });
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A PPM image as PNG: samples scaled to 8 bits when maxval < 255, 16 bits when above 255. */
export async function ppmToPng(ppm: Buffer): Promise<Buffer> {
  const p = parsePpm(ppm);
  if (p.maxval > 255) {
    if (p.maxval === 65535) return encodePng(p.width, p.height, 16, p.pixels);
    const out = Buffer.alloc(p.pixels.length);
    for (let i = 0; i < out.length; i += 2) out.writeUInt16BE(Math.round((p.pixels.readUInt16BE(i) * 65535) / p.maxval), i);
    return encodePng(p.width, p.height, 16, out);
  }
  if (p.maxval === 255) return encodePng(p.width, p.height, 8, p.pixels);
  const out = Buffer.alloc(p.pixels.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((p.pixels[i]! * 255) / p.maxval);
  return encodePng(p.width, p.height, 8, out);
}

/** Width and height from a PNG's IHDR (the first chunk), or undefined when `b` is not a PNG. */
export function pngSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length < 24 || !b.subarray(0, 8).equals(SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes a non-interlaced PNG of 8- or 16-bit greyscale, RGB or RGBA (what screen grabs are:
 * QEMU 7.1+ writes 8-bit RGB) to a PPM: grey is spread to RGB, alpha dropped.
 * Anything else is `FORMAT_MISMATCH`; a damaged file `IMAGE_CORRUPT`.
 */
export async function pngToPpm(png: Buffer): Promise<Buffer> {
  const bad = (why: string) => new VirtkitError('IMAGE_CORRUPT', `not a valid PNG image: ${why}`);
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw bad('no PNG signature');
  let at = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  for (;;) {
    if (at + 12 > png.length) throw bad('truncated');
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (at + 12 + len > png.length) throw bad(`truncated ${type} chunk`);
    const data = png.subarray(at + 8, at + 8 + len);
    if (crc32(png.subarray(at + 4, at + 8), data) !== png.readUInt32BE(at + 8 + len)) throw bad(`bad CRC in ${type}`);
    at += 12 + len;
    if (type === 'IHDR') ihdr = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
  }
  if (!ihdr || ihdr.length !== 13) throw bad('no IHDR');
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const depth = ihdr[8]!;
  const colour = ihdr[9]!;
  const channels = colour === 0 ? 1 : colour === 2 ? 3 : colour === 6 ? 4 : 0;
  if (!channels || (depth !== 8 && depth !== 16) || ihdr[12] !== 0)
    throw new VirtkitError('FORMAT_MISMATCH', `PNG colour type ${colour}, depth ${depth}, interlace ${ihdr[12]} is not converted (8/16-bit grey, RGB or RGBA only)`);
  if (width < 1 || height < 1 || width * height > 2 ** 28) throw bad(`bad size ${width}x${height}`);
  const sb = depth / 8;
  const bpp = channels * sb;
  const stride = width * bpp;
  const raw = await inflateAsync(Buffer.concat(idat)).catch((e: unknown) => {
    throw bad(`bad image data (${(e as Error).message})`);
  });
  if (raw.length < height * (stride + 1)) throw bad('image data too short');
  const rows = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const o = y * (stride + 1) + 1;
    const r = y * stride;
    const p = r - stride; // the previous row (y > 0)
    // One tight loop per filter type: this runs for every byte of the image.
    if (f === 0) raw.copy(rows, r, o, o + stride);
    else if (f === 1) {
      for (let x = 0; x < stride; x++) rows[r + x] = raw[o + x]! + (x >= bpp ? rows[r + x - bpp]! : 0);
    } else if (f === 2) {
      if (y === 0) raw.copy(rows, r, o, o + stride);
      else for (let x = 0; x < stride; x++) rows[r + x] = raw[o + x]! + rows[p + x]!;
    } else if (f === 3) {
      for (let x = 0; x < stride; x++) rows[r + x] = raw[o + x]! + (((x >= bpp ? rows[r + x - bpp]! : 0) + (y > 0 ? rows[p + x]! : 0)) >> 1);
    } else if (f === 4) {
      for (let x = 0; x < stride; x++) {
        const a = x >= bpp ? rows[r + x - bpp]! : 0;
        const b = y > 0 ? rows[p + x]! : 0;
        const c = y > 0 && x >= bpp ? rows[p + x - bpp]! : 0;
        rows[r + x] = raw[o + x]! + paeth(a, b, c);
      }
    } else throw bad(`unknown filter type ${f}`);
  }
  let out: Buffer;
  if (channels === 3) out = rows;
  else {
    out = Buffer.alloc(width * height * 3 * sb);
    for (let q = 0, o = 0; q < rows.length; q += bpp) {
      for (let ch = 0; ch < 3; ch++) {
        const from = q + (channels === 1 ? 0 : ch) * sb;
        out[o++] = rows[from]!;
        if (sb === 2) out[o++] = rows[from + 1]!;
      }
    }
  }
  return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n${depth === 8 ? 255 : 65535}\n`, 'latin1'), out]);
}
