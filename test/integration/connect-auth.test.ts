// Connection.open's auth callback against a private libvirtd whose read-write socket wants SASL
// (SCRAM-SHA-256, a sasldb of its own made with saslpasswd2): the right password opens and works,
// a wrong one, a throwing callback, a wrongly shaped answer and no callback all fail typed, and a
// callback that never answers ends with the open's deadline. No password in any error.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, VirtkitError, type Credential } from '../../src/index.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';

const USER = 'vkuser';
const PASSWORD = 'correct horse 7f3a';
const WRONG = 'wrong battery 91c2';
const haveSasl = existsSync('/usr/sbin/saslpasswd2') || existsSync('/usr/bin/saslpasswd2');

function answer(password: string) {
  return (creds: Credential[]) => creds.map((c) => (c.type === 'authname' || c.type === 'username' ? USER : c.type === 'passphrase' || c.type === 'noechoprompt' ? password : (c.defresult ?? '')));
}

/** The error and everything it carries, as text: where a password must never appear. */
function everything(e: unknown): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  let cur: unknown = e;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    parts.push(String((cur as Error).message), String((cur as Error).stack), JSON.stringify((cur as { details?: unknown }).details ?? {}));
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

async function failure(p: Promise<unknown>): Promise<VirtkitError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VirtkitError);
  return e as VirtkitError;
}

describe.skipIf(!haveSasl)('Connection.open auth callback (private libvirtd, SASL SCRAM-SHA-256)', () => {
  let d: PrivateDaemon;
  let saslDir: string;

  beforeAll(async () => {
    saslDir = mkdtempSync(join(tmpdir(), 'virtkit-sasl-'));
    const db = join(saslDir, 'passwd.db');
    // libvirtd reads its SASL settings from <SASL_CONF_PATH>/libvirt.conf.
    writeFileSync(join(saslDir, 'libvirt.conf'), `mech_list: scram-sha-256\nsasldb_path: ${db}\n`);
    execFileSync('saslpasswd2', ['-f', db, '-a', 'libvirt', '-p', '-c', USER], { input: PASSWORD, timeout: 10_000 });
    d = await startPrivateDaemon({
      tag: 'sasl',
      conf: { auth_unix_rw: 'sasl', auth_unix_ro: 'none' },
      env: { SASL_CONF_PATH: saslDir },
      readOnlyProbe: true,
    });
  });
  afterAll(async () => {
    await d?.stop();
    if (saslDir) rmSync(saslDir, { recursive: true, force: true });
  });

  it('opens with the right password, asks once per open for all its channels, and works', async () => {
    const asked: Credential[][] = [];
    const conn = await Connection.open(d.uri, {
      channels: 2,
      auth: async (creds) => {
        asked.push(creds);
        await new Promise((r) => setTimeout(r, 5)); // an async answer
        return answer(PASSWORD)(creds);
      },
    });
    try {
      expect(await conn.capabilitiesXml()).toContain(`<uuid>${d.hostUuid}</uuid>`);
      expect(await conn.domains()).toEqual([]);
      // Three SASL negotiations (the control connection and two call channels), one question.
      expect(asked).toHaveLength(1);
      const types = asked[0].map((c) => c.type);
      expect(types).toContain('authname');
      expect(types).toContain('passphrase');
      for (const c of asked[0]) expect(typeof c.prompt).toBe('string');
    } finally {
      await conn.close();
    }
  });

  it('accepts { result } answers', async () => {
    const conn = await Connection.open(d.uri, { channels: 0, auth: (creds) => answer(PASSWORD)(creds).map((result) => ({ result })) });
    expect(await conn.hostname()).toBeTypeOf('string');
    await conn.close();
  });

  it('refuses a wrong password with AUTH_FAILED, the password nowhere in the error', async () => {
    const e = await failure(Connection.open(d.uri, { auth: answer(WRONG) }));
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.details?.uri).toBe(d.uri);
    expect(everything(e)).not.toContain(WRONG);
    expect(everything(e)).not.toContain(PASSWORD);
  });

  it('a callback that throws: AUTH_FAILED with its error as cause', async () => {
    const boom = new Error('vault sealed');
    const e = await failure(
      Connection.open(d.uri, {
        auth: () => {
          throw boom;
        },
      }),
    );
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.cause).toBe(boom);
    expect(e.message).toContain('vault sealed');
    const rejected = await failure(Connection.open(d.uri, { auth: () => Promise.reject(boom) }));
    expect(rejected.code).toBe('AUTH_FAILED');
    expect(rejected.cause).toBe(boom);
  });

  it('a wrongly shaped answer: INVALID_ARGUMENT naming auth, no value in the message', async () => {
    const short = await failure(Connection.open(d.uri, { auth: () => [PASSWORD] }));
    expect(short.code).toBe('INVALID_ARGUMENT');
    expect(short.details?.argument).toBe('auth');
    expect(everything(short)).not.toContain(PASSWORD);
    const notArray = await failure(Connection.open(d.uri, { auth: () => PASSWORD as never }));
    expect(notArray.code).toBe('INVALID_ARGUMENT');
    expect(everything(notArray)).not.toContain(PASSWORD);
    const notString = await failure(Connection.open(d.uri, { auth: (creds) => creds.map(() => 42) as never }));
    expect(notString.code).toBe('INVALID_ARGUMENT');
    const nul = await failure(Connection.open(d.uri, { auth: (creds) => creds.map(() => 'a\0b') }));
    expect(nul.code).toBe('INVALID_ARGUMENT');
    await expect(Connection.open(d.uri, { auth: 'secret' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('no callback while the daemon wants credentials: AUTH_FAILED (no terminal prompt)', async () => {
    const e = await failure(Connection.open(d.uri));
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.message).toContain('auth');
  });

  it('a callback that never answers: TIMEOUT at the open deadline, then the daemon still serves', async () => {
    let signal: AbortSignal | undefined;
    const e = await failure(
      Connection.open(d.uri, {
        timeoutMs: 1_000,
        auth: (_creds, ctx) => {
          signal = ctx.signal;
          return new Promise(() => undefined);
        },
      }),
    );
    expect(e.code).toBe('TIMEOUT');
    expect(signal?.aborted).toBe(true);
    // The call thread that waited was released: a fresh open (same daemon) still works.
    const conn = await Connection.open(d.uri, { auth: answer(PASSWORD) });
    expect(await conn.domains()).toEqual([]);
    await conn.close();
  });

  it('the read-only socket needs no credentials and never calls the callback', async () => {
    let called = 0;
    const conn = await Connection.open(`${d.uri}-ro`, {
      readOnly: true,
      auth: () => {
        called++;
        return [];
      },
    });
    expect(await conn.domains()).toEqual([]);
    await conn.close();
    expect(called).toBe(0);
  });
});
