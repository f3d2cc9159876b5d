// The in-process qcow2 overlay against qemu-img's own: same bytes on this machine's QEMU, and
// qemu-img check / info / compare accept it (compare reads the data through the overlay).
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qcow2Overlay, writeQcow2Overlay } from '../../src/template/qcow2-overlay.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-qcow2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { encoding: 'utf8' });

describe('qcow2Overlay', () => {
  const base = join(dir, 'base.qcow2');
  qemuImg('create', '-q', '-f', 'qcow2', base, '1G');
  qemuImg('--help'); // fails the file early when qemu-img is missing

  for (const size of [1 << 20, 10 * 2 ** 20, 2 ** 30, 2 ** 30 + 512, 5 * 2 ** 40]) {
    it(`matches qemu-img create -b for ${size} bytes`, async () => {
      const mine = join(dir, `mine-${size}.qcow2`);
      const ref = join(dir, `ref-${size}.qcow2`);
      await writeQcow2Overlay(mine, size, base, 'qcow2');
      qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compat=1.1', '-b', base, '-F', 'qcow2', ref, String(size));
      expect(readFileSync(mine).equals(readFileSync(ref))).toBe(true);
      qemuImg('check', mine);
      const info = JSON.parse(qemuImg('info', '--output=json', mine));
      expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': size, 'backing-filename': base, 'backing-filename-format': 'qcow2' });
      expect(statSync(mine).mode & 0o777).toBe(0o600);
    });
  }

  it('reads through to the backing image (qemu-img compare)', async () => {
    const raw = join(dir, 'data.raw');
    execFileSync('sh', ['-c', `head -c 3145728 /dev/urandom > ${raw} && truncate -s 64M ${raw}`]);
    const ov = join(dir, 'data-ov.qcow2');
    await writeQcow2Overlay(ov, 64 * 2 ** 20, raw, 'raw');
    qemuImg('compare', '-f', 'qcow2', '-F', 'raw', ov, raw);
  });

  it('refuses bad arguments and an existing file', async () => {
    expect(() => qcow2Overlay(1000, base, 'qcow2')).toThrow(/multiple of 512/);
    expect(() => qcow2Overlay(2 ** 20, 'relative.qcow2', 'qcow2')).toThrow(/absolute/);
    expect(() => qcow2Overlay(2 ** 20, '/a\0b', 'qcow2')).toThrow(/absolute/);
    expect(() => qcow2Overlay(2 ** 20, base, 'QCOW2!')).toThrow(/format/);
    const p = join(dir, 'exists.qcow2');
    await writeQcow2Overlay(p, 2 ** 20, base, 'qcow2');
    await expect(writeQcow2Overlay(p, 2 ** 20, base, 'qcow2')).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
