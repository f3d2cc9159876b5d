// Reads the ISO 9660 images virtkit writes (one flat root directory, Joliet names) in tests:
// the volume label and a file of the Joliet root directory.
const SECTOR = 2048;

/** The primary volume descriptor's volume identifier (blkid's LABEL). */
export function isoLabel(image: Buffer): string {
  const pvd = image.subarray(16 * SECTOR, 17 * SECTOR);
  if (pvd[0] !== 1 || pvd.toString('latin1', 1, 6) !== 'CD001') throw new Error('no primary volume descriptor');
  return pvd.toString('latin1', 40, 72).trimEnd();
}

/** The content of `name` in the Joliet root directory, or undefined. */
export function isoFile(image: Buffer, name: string): Buffer | undefined {
  for (let s = 16; s < 32; s++) {
    const d = image.subarray(s * SECTOR, (s + 1) * SECTOR);
    if (d[0] === 255) break;
    if (d[0] !== 2 || d.toString('latin1', 88, 91) !== '%/E') continue;
    const root = d.subarray(156, 156 + 34);
    const extent = root.readUInt32LE(2);
    const size = root.readUInt32LE(10);
    const dir = image.subarray(extent * SECTOR, extent * SECTOR + size);
    for (let at = 0; at < dir.length; ) {
      const len = dir[at]!;
      if (len === 0) {
        at = (Math.floor(at / SECTOR) + 1) * SECTOR;
        continue;
      }
      const idLen = dir[at + 32]!;
      const id = dir.subarray(at + 33, at + 33 + idLen);
      let n = '';
      for (let i = 0; i + 1 < id.length; i += 2) n += String.fromCharCode(id.readUInt16BE(i));
      if (n.replace(/;1$/, '') === name) {
        const fe = dir.readUInt32LE(at + 2);
        return Buffer.from(image.subarray(fe * SECTOR, fe * SECTOR + dir.readUInt32LE(at + 10)));
      }
      at += len;
    }
  }
  return undefined;
}
