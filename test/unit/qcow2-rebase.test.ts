// The backing-name rewrite of a streaming qcow2 overlay (src/template/qcow2-rebase.ts), checked
// by qemu-img on files qemu-img made: the new name is what qemu reads, the image checks clean,
// and every other byte is the original's.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { rebaseHeader, rebaseTransform } from '../../src/template/qcow2-rebase.js';
import { VirtkitError } from '../../src/errors.js';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

async function through(buf: Buffer, backing: string, chunk: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  const out: Buffer[] = [];
  const t = Readable.from(parts).pipe(rebaseTransform(backing));
  for await (const c of t) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('qcow2 backing name rewrite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vk-rebase-'));
    run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'base.qcow2'), '16M']);
    run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', join(dir, 'base.qcow2'), join(dir, 'top.qcow2')]);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 1M 1M', join(dir, 'top.qcow2')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, name] of [
    ['longer', 'a-much-longer-directory-name/replica-of-the-template-disk.qcow2'],
    ['shorter', 'r'],
  ] as const) {
    it(`rewrites to a ${label} name, in one chunk and in 1000-byte chunks`, async () => {
      const backing = join(dir, name);
      mkdirSync(dirname(backing), { recursive: true });
      copyFileSync(join(dir, 'base.qcow2'), backing);
      const src = readFileSync(join(dir, 'top.qcow2'));
      const out = await through(src, backing, src.length);
      expect((await through(src, backing, 1000)).equals(out)).toBe(true);
      expect(out.length).toBe(src.length);
      const file = join(dir, `${label}.qcow2`);
      writeFileSync(file, out);
      const info = JSON.parse(run('qemu-img', ['info', '--output=json', file])) as { 'backing-filename': string; 'backing-filename-format': string };
      expect(info['backing-filename']).toBe(backing);
      expect(info['backing-filename-format']).toBe('qcow2');
      run('qemu-img', ['check', file]);
      run('qemu-io', ['-r', '-f', 'qcow2', '-c', 'read -P 0x5a 1M 1M', '-c', 'read -P 0 0 1M', file]);
      // Past the header cluster every byte is the original's.
      expect(out.subarray(65536).equals(src.subarray(65536))).toBe(true);
    });
  }

  it('refuses what it cannot rewrite', async () => {
    const raw = Buffer.alloc(65536);
    expect(() => rebaseHeader(raw, '/x')).toThrow(VirtkitError);
    run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'alone.qcow2'), '1M']);
    const alone = readFileSync(join(dir, 'alone.qcow2'));
    expect(() => rebaseHeader(alone, '/x')).toThrow(/no backing file/);
    const top = readFileSync(join(dir, 'top.qcow2'));
    expect(() => rebaseHeader(top, 'relative.qcow2')).toThrow(/absolute/);
    expect(() => rebaseHeader(top, `/${'a'.repeat(1100)}`)).toThrow(/absolute path of at most/);
    await expect(through(top.subarray(0, 50), '/x', 50)).rejects.toThrow(/not a qcow2/);
  });
});
