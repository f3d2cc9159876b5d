// Guest-agent info parsing (pure) and the argument checks of the agent and block-job calls, on
// test:///default (no agent, no block jobs there: the real paths run in test/integration/domain-jobs.test.ts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, Domain } from '../../src/index.js';
import { parseGuestInfo } from '../../src/domain/agent.js';

describe('guest info parsing (pure)', () => {
  it('groups the flat keys by kind and index', () => {
    const g = parseGuestInfo({
      'user.count': 2, 'user.0.name': 'root', 'user.0.login-time': 1700000000000n, 'user.1.name': 'ann', 'user.1.domain': 'CORP',
      'os.id': 'debian', 'os.version-id': '12', 'os.kernel-release': '6.1.0',
      'timezone.name': 'UTC', 'timezone.offset': 0,
      hostname: 'web1',
      'fs.count': 1, 'fs.0.mountpoint': '/', 'fs.0.name': 'vda1', 'fs.0.fstype': 'ext4', 'fs.0.total-bytes': 10n, 'fs.0.used-bytes': 4n,
      'fs.0.disk.count': 1, 'fs.0.disk.0.alias': 'vda',
      'disk.count': 1, 'disk.0.name': '/dev/vda1', 'disk.0.partition': true, 'disk.0.dependency.count': 1, 'disk.0.dependency.0.name': '/dev/vda',
      'if.count': 1, 'if.0.name': 'eth0', 'if.0.hwaddr': '52:54:00:00:00:01', 'if.0.addr.count': 1, 'if.0.addr.0.type': 'ipv4', 'if.0.addr.0.addr': '10.0.0.5', 'if.0.addr.0.prefix': 24,
    });
    expect(g.users).toEqual([{ name: 'root', loginTimeMs: 1700000000000 }, { name: 'ann', domain: 'CORP' }]);
    expect(g.os).toEqual({ id: 'debian', 'version-id': '12', 'kernel-release': '6.1.0' });
    expect(g.timezone).toEqual({ name: 'UTC', offsetSeconds: 0 });
    expect(g.hostname).toBe('web1');
    expect(g.filesystems).toEqual([{ mountpoint: '/', name: 'vda1', fstype: 'ext4', totalBytes: 10n, usedBytes: 4n, disks: ['vda'] }]);
    expect(g.disks).toEqual([{ name: '/dev/vda1', partition: true, dependencies: ['/dev/vda'] }]);
    expect(g.interfaces).toEqual([{ name: 'eth0', hwaddr: '52:54:00:00:00:01', addrs: [{ type: 'ipv4', addr: '10.0.0.5', prefix: 24 }] }]);
    expect(parseGuestInfo({ hostname: 'x' })).toEqual({ hostname: 'x', raw: { hostname: 'x' } });
  });
});

describe('agent and block-job arguments on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.domain('test');
  });
  afterAll(async () => {
    await conn.close();
  });

  it('refuses bad agent input before any call', async () => {
    const bad = (p: Promise<unknown>, argument: string) => expect(p).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument } });
    await bad(dom.agent.command('{"execute":'), 'cmd');
    await bad(dom.agent.command(['x'] as never), 'cmd');
    await bad(dom.agent.command({ execute: 'guest-ping' }, { timeout: 0 }), 'opts.timeout');
    await bad(dom.setAuthorizedKeys('root', ['ssh-ed25519 AAA a\nssh-rsa B']), 'keys[0]');
    await bad(dom.setAuthorizedKeys('root', ['k'], { append: true, remove: true }), 'opts.append');
    await bad(dom.authorizedKeys('-root'), 'user');
    await bad(dom.setUserPassword('root', ''), 'password');
    await bad(dom.fsFreeze([''] as string[]), 'mountpoints[0]');
    // The test driver has no agent: libvirt's own refusal comes back as it is.
    await expect(dom.agent.command({ execute: 'guest-ping' })).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_SUPPORT' });
  });

  it('refuses bad block-job input before any call', async () => {
    await expect(dom.blockPull('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'disk' } });
    await expect(dom.blockCommit('vda', { bandwidth: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.bandwidth' } });
    await expect(dom.blockCopy('vda', 'relative.qcow2')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'dest.path' } });
    await expect(dom.blockCopy('vda', '/x.qcow2', { granularity: 1000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.granularity' } });
    await expect(dom.blockCopy('/no/such/source', '/x.qcow2')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'disk' } });
    await expect(dom.blockRebase('vda', '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'base' } });
    await expect(dom.blockPull('vda')).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_SUPPORT' });
  });
});
