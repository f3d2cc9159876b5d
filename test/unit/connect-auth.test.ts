// Typed errors of a failed open (no daemon needed: nothing listens on these addresses) and the
// checks on an auth callback's answer. The SASL round trips are in test/integration/connect-auth.test.ts.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { Connection, VirtError, VirtkitError } from '../../src/index.js';
import { checkAnswers, openError } from '../../src/connect-auth.js';

async function openFailure(uri: string): Promise<VirtkitError> {
  const e = await Connection.open(uri, { timeoutMs: 20_000 }).then(
    (c) => c.close().then(() => undefined),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VirtkitError);
  return e as VirtkitError;
}

describe('open failures are typed', () => {
  it('TCP refused: CONNECTION_REFUSED, the VirtError (errno ECONNREFUSED) as cause', async () => {
    const e = await openFailure('qemu+tcp://127.0.0.1:1/system');
    expect(e.code).toBe('CONNECTION_REFUSED');
    expect(e.details?.uri).toBe('qemu+tcp://127.0.0.1:1/system');
    expect(e.cause).toBeInstanceOf(VirtError);
    expect((e.cause as VirtError).errno).toBe(111);
  });

  it('a unix socket that is not there: CONNECTION_REFUSED', async () => {
    const e = await openFailure('qemu+unix:///system?socket=/nonexistent/virtkit/libvirt-sock');
    expect(e.code).toBe('CONNECTION_REFUSED');
    expect((e.cause as VirtError).errno).toBe(2);
  });

  it.skipIf(!existsSync('/usr/bin/ssh'))('ssh to a port nobody listens on: CONNECTION_REFUSED', async () => {
    const e = await openFailure('qemu+ssh://127.0.0.1:1/system');
    expect(e.code).toBe('CONNECTION_REFUSED');
  });

  it('maps by code and errno, and leaves the rest alone', () => {
    const sys = (msg: string, errno?: number) => new VirtError(msg, 38, 7, 2, errno);
    expect((openError(sys('no route', 113), 'qemu+tcp://h/system') as VirtkitError).code).toBe('HOST_UNREACHABLE');
    expect((openError(sys('Cannot resolve address', 0), 'qemu+tcp://h/system') as VirtkitError).code).toBe('HOST_UNREACHABLE');
    expect((openError(sys("Cannot read CA certificate '/etc/pki/CA/cacert.pem': No such file or directory", 2), 'qemu+tls://h/system') as VirtError).code).toBe('VIR_ERR_SYSTEM_ERROR');
    expect((openError(sys('Cannot recv data: ssh: connect to host h port 22: No route to host', 104), 'qemu+ssh://h/system') as VirtkitError).code).toBe('HOST_UNREACHABLE');
    expect((openError(sys('Cannot recv data: root@h: Permission denied (publickey).', 104), 'qemu+ssh://h/system') as VirtkitError).code).toBe('AUTH_FAILED');
    expect((openError(new VirtError('authentication failed', 45, 7), 'qemu+tcp://h/system') as VirtkitError).code).toBe('AUTH_FAILED');
    const other = new VirtError('no connection driver available', 60, 0);
    expect(openError(other, 'x:///')).toBe(other);
  });
});

describe('auth answers', () => {
  const creds = [
    { type: 'authname' as const, prompt: 'name' },
    { type: 'passphrase' as const, prompt: 'password' },
  ];
  it('takes strings or { result }, one per credential', () => {
    expect(checkAnswers(['u', { result: 'p' }], creds)).toEqual(['u', 'p']);
    expect(checkAnswers(['', ''], creds)).toEqual(['', '']);
  });
  it('refuses other shapes without echoing a value', () => {
    for (const bad of [undefined, null, 'secret-x', ['secret-x'], ['u', 'secret-x', 'z'], ['u', 5], ['u', { result: 5 }], ['u', 'se\0cret-x']]) {
      let err: unknown;
      try {
        checkAnswers(bad, creds);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VirtkitError);
      expect((err as VirtkitError).code).toBe('INVALID_ARGUMENT');
      expect((err as VirtkitError).details?.argument).toBe('auth');
      expect((err as Error).message).not.toContain('secret-x');
    }
  });
});
