// Issue 13 item 12 against the appliance itself (one launch): the seal engine resolves a glob
// from a directory listing when only the last segment is magic, and through glob_expand
// (the appliance's glob(3)) otherwise. Both must give the same paths for the same pattern.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guest } from '../../src/guest/index.js';
import { createDisk } from '../fixtures/disks.js';
import { Effects } from '../../src/seal/effects.js';
import type { SealGuest } from '../../src/seal/guest-api.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-globint-'));
let g: Guest;
const NAMES = ['a.log', 'b.log', '.hidden.log', '1.log', 'x*y', '*', '[', ']', 'a]', 'ab', 'é.log', 'Z.log', 'p,q', 'a\\b', 'br{ace'];

beforeAll(async () => {
  const disk = await createDisk(join(dir, 'glob.qcow2'), { format: 'qcow2', sizeMiB: 64 });
  g = await Guest.open({ drives: [{ path: disk.path, format: 'qcow2', name: 'sda' }] });
  await g.mkfs('ext4', '/dev/sda');
  await g.mount('/dev/sda', '/');
  for (const d of ['/var/log/sub', '/var/log/.dot', '/home/u1', '/home/.u2']) await g.mkdirP(d);
  for (const n of NAMES) await g.touch(`/var/log/${n}`);
  for (const h of ['/home', '/home/u1', '/home/.u2']) await g.touch(`${h}/.bash_history`);
});

afterAll(async () => {
  await g?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** glob_expand as the appliance answers, directory marks removed, without '.' and '..'. */
async function applianceGlob(pattern: string): Promise<string[]> {
  return (await g.globExpand(pattern))
    .map((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p))
    .filter((p) => !p.split('/').some((s) => s === '.' || s === '..'));
}

describe('Effects.glob and the appliance agree', () => {
  const LAST = ['/var/log/*.log', '/var/log/[[:digit:]]*', '/var/log/\\*', '/var/log/[]]', '/var/log/[!]]*', '/var/log/x\\*y', '/var/log/?.log',
    '/var/log/??.log', '/var/log/.*', '/var/log/*', '/var/log/[', '/var/log/a]', '/var/log/[ab]*', '/var/log/a\\\\b', '/var/log/[[:upper:]]*', '/var/l\\og/*.log'];

  it('on patterns whose last segment is the magic one (matched on the host)', async () => {
    const calls: string[] = [];
    const spy = new Proxy(g, {
      get: (t, k) => {
        if (k === 'globExpand') return (p: string) => (calls.push(p), t.globExpand(p));
        const v = Reflect.get(t, k, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as unknown as SealGuest;
    for (const pattern of LAST) {
      const mine = await new Effects(spy, true).glob(pattern);
      expect({ pattern, paths: mine }).toEqual({ pattern, paths: await applianceGlob(pattern) });
    }
    expect(calls).toEqual([]);
  });

  it('on the same names reached through a magic middle segment (glob_expand)', async () => {
    for (const [middle, last] of [['/var/l*/*.log', '/var/log/*.log'], ['/v?r/log/[[:digit:]]*', '/var/log/[[:digit:]]*'], ['/var/[l]og/\\*', '/var/log/\\*'], ['/[v]ar/log/[]]', '/var/log/[]]'], ['/var/lo[g]/?.log', '/var/log/?.log']]) {
      expect({ middle, paths: await new Effects(g, true).glob(middle!) }).toEqual({ middle, paths: await new Effects(g, true).glob(last!) });
    }
    expect(await new Effects(g, true).glob('/home/.*/.bash_history')).toEqual(['/home/.u2/.bash_history']);
    expect(await new Effects(g, true).glob('/home/*/.bash_history')).toEqual(['/home/u1/.bash_history']);
    expect(await new Effects(g, true).glob('/var/log/{a,b}.log')).toEqual(['/var/log/a.log', '/var/log/b.log']);
  });

  it("matches bytes: '?' is not 'é' (two bytes in UTF-8), as in the appliance", async () => {
    expect(await applianceGlob('/var/log/?.log')).not.toContain('/var/log/é.log');
    expect(await applianceGlob('/var/log/??.log')).toContain('/var/log/é.log');
  });
});
