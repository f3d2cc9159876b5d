// Issue 11 end to end on a real libvirtd: a tiny guest with Debian's real cloud-init 22.4
// (examples/lib/tiny-guest-cloudinit.ts) becomes a sealed template whose record says cloudInit,
// one linked clone gets virtkit's NoCloud seed and boots (TCG unless KVM really works) once.
// From its serial console: cloud-init found the seed (NoCloud, instance-id = the clone's UUID,
// no errors in result.json/status.json), set the hostname, gave root the key and the password
// hash, ran the seed's runcmd, and made the host keys; virtkit's first-boot script ran (rc.local)
// and stood aside: it applied nothing and made no keys.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Connection, Template, consumeSeed, removeClone, type StoragePool } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, scratchPool, removeTagged } from '../helpers/system.js';
import { bootFiles, buildTinyGuest, parseIdentity, tinyGuestXml } from '../../examples/lib/tiny-guest.js';
import { CI_TAGS, missingCloudInitPieces } from '../../examples/lib/tiny-guest-cloudinit.js';
import { sha512Crypt } from '../../src/crypt/index.js';
import { hostKeyFingerprint } from '../../src/hostkeys.js';

const tag = `ci${process.pid}`;
const SRC = `${tag}-src`;
const TPL = `${tag}-tpl`;
const CLONE = `${tag}-c1`;
const HOSTNAME = 'ci-web1';
// A real ed25519 public key (cloud-init parses it: its fingerprint is on the console).
const sshString = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
const KEY_BLOB = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32))]);
const KEY = `ssh-ed25519 ${KEY_BLOB.toString('base64')} tester@virtkit`;
/** cloud-init's ssh-authkey-fingerprints form: SHA-256 hex, colon-separated. */
const KEY_FP_HEX = createHash('sha256').update(KEY_BLOB).digest('hex').match(/../g)!.join(':');
const HASH = sha512Crypt('cloud-init password', 'cisaltxy');
const RUNCMD_TAG = 'VK-CI-RUNCMD';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (qemu:///system and /var/lib/virtkit-test)';
  try {
    bootFiles();
  } catch (e) {
    return (e as Error).message;
  }
  const missing = missingCloudInitPieces();
  return missing.length ? `missing ${missing.join('; ')}` : undefined;
}
const reason = skipReason();
if (reason) console.warn(`cloud-init clone e2e skipped: ${reason}`);

/** The text after `prefix ` on every console line that starts with it. */
const tagged = (log: string, prefix: string) => log.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.startsWith(`${prefix} `)).map((l) => l.slice(prefix.length + 1));

describe.skipIf(reason !== undefined)('a cloud-init guest personalized by its NoCloud seed', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  let removePool: () => Promise<void>;
  let type: 'qemu' | 'kvm';
  const serial = (name: string) => `${dir}/${name}-serial.log`;

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, dir, remove: removePool } = await scratchPool(conn, 'cloudinit'));
    // The KVM probe (seconds when KVM is broken) runs while the guest is built.
    const [kvm] = await Promise.all([
      process.env.VIRTKIT_ACCEL === 'tcg' ? false : conn.kvmWorks(),
      buildTinyGuest({ path: `${dir}/${SRC}.qcow2`, hostname: 'ci-source', cloudInit: true }),
    ]);
    type = kvm ? 'kvm' : 'qemu';
    console.log(`cloud-init guest: ${(statSync(`${dir}/${SRC}.qcow2`).blocks * 512 / 2 ** 20).toFixed(1)} MiB allocated; booting with ${type}`);
    await pool.refresh();
    await conn.defineDomain(tinyGuestXml({ name: SRC, disk: `${dir}/${SRC}.qcow2`, serialLog: serial(SRC), type }));
  }, 300_000);

  afterAll(async () => {
    if (!conn) return;
    await removeTagged(conn, tag, dir, removePool);
  });

  it('seal finds cloud-init; the clone gets hostname, key and host keys from cloud-init, and the first-boot script stands aside', async () => {
    const tpl = await Template.create(conn, { from: await conn.domain(SRC), name: TPL, pool, seal: { operations: 'defaults' } });
    expect(tpl.cloudInit).toBe(true);

    const clone = await tpl.deploy({
      name: CLONE, mode: 'linked',
      identity: {
        hostname: HOSTNAME, sshAuthorizedKeys: { root: [KEY] }, rootPasswordHash: HASH,
        userData: { runcmd: [['sh', '-c', `echo "${RUNCMD_TAG} $(hostname)" > /dev/ttyS0`]] },
      },
    });
    const seedPath = `${dir}/${CLONE}-seed.iso`;
    expect(existsSync(seedPath)).toBe(true);

    // One boot: cloud-init's four stages, rc.local, the report, the identity line, power off.
    const t0 = Date.now();
    await clone.start();
    await clone.waitForState('shutoff', { timeoutMs: 300_000, intervalMs: 500 });
    const log = readFileSync(serial(CLONE), 'utf8');
    // Where a boot's time goes (cloud-init prints each stage's start and end with the uptime).
    const stages = log.split('\n').filter((l) => /^Cloud-init v\. .* (running|finished)/.test(l)).map((l) => l.replace(/ at .*\. (Up|Datasource)/, ' … $1').trim());
    console.log(`clone boot (${type}): ${((Date.now() - t0) / 1000).toFixed(1)} s\n  ${stages.join('\n  ')}`);
    const id = parseIdentity(log);
    if (!id) console.log(`clone serial log (tail):\n${log.slice(-6000)}`);
    expect(id).toBeDefined();

    // cloud-init ran from virtkit's seed: NoCloud, this clone's instance-id, every stage without error.
    const [resultText] = tagged(log, CI_TAGS.result);
    const [statusText] = tagged(log, CI_TAGS.status);
    const result = JSON.parse(resultText ?? 'null') as { v1: { datasource: string; errors: unknown[] } } | null;
    const status = JSON.parse(statusText ?? 'null') as { v1: Record<string, { finished: number | null; errors: unknown[] } | unknown> } | null;
    console.log(`result.json: ${resultText}`);
    expect(result?.v1.datasource).toMatch(/^DataSourceNoCloud \[seed=\/dev\/\w+\]/);
    expect(result?.v1.errors).toEqual([]);
    for (const stage of ['init-local', 'init', 'modules-config', 'modules-final']) {
      const s = status?.v1[stage] as { finished: number | null; errors: unknown[] } | undefined;
      expect(s?.finished, stage).toBeTypeOf('number');
      expect(s?.errors, stage).toEqual([]);
    }
    expect(tagged(log, CI_TAGS.instanceId)).toEqual([clone.uuid]);

    // The identity, applied by cloud-init: hostname (file and kernel), root's key and password hash, the seed's runcmd.
    expect(id!.hostname).toBe(HOSTNAME);
    expect(tagged(log, CI_TAGS.hostname)).toEqual([HOSTNAME]);
    expect(tagged(log, CI_TAGS.authorizedKey)).toEqual([KEY]);
    expect(log).toContain(KEY_FP_HEX);
    expect(id!.rootpw).toBe(createHash('sha256').update(`${HASH}\n`).digest('hex').slice(0, 16));
    expect(tagged(log, RUNCMD_TAG)).toEqual([HOSTNAME]);

    // The host keys: made by cloud-init's ssh module (its log shows each ssh-keygen run) and
    // printed in its console block, which dom.hostKeys() reads; the ed25519 one is on disk.
    const keygens = tagged(log, CI_TAGS.log).join('\n');
    for (const t of ['ecdsa', 'ed25519']) expect(keygens).toContain(`'ssh-keygen', '-t', '${t}'`);
    const keys = await clone.hostKeys({ source: 'serial', timeoutMs: 5_000 });
    expect(keys.map((k) => k.type).sort()).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(hostKeyFingerprint(keys.find((k) => k.type === 'ssh-ed25519')!.key)).toBe(id!.hostkey);

    // virtkit's first-boot script ran from rc.local and stood aside: its own log says so, it
    // applied nothing (no hostname, key, hash, seed, machine-id or host key of its making) and
    // printed no host keys.
    const fb = tagged(log, CI_TAGS.firstbootLog).map((l) => l.replace(/^\S+ /, ''));
    console.log(`first-boot log: ${JSON.stringify(fb)}`);
    expect(fb).toContain('cloud-init personalizes this clone: identity and host keys left to it');
    expect(fb).toContain('done');
    expect(fb.filter((l) => /hostname set|authorized key|root password|machine-id|^created |^seed/.test(l))).toEqual([]);
    expect(log).not.toContain('virtkit-hostkey');
    expect(tagged(log, CI_TAGS.firstbootHostkeys)).toEqual(['absent']);
    expect(id!['machine-id']).toBe('');

    // First boot done: the seed goes; then the clone and the template.
    expect(await consumeSeed(conn, clone)).toBe(true);
    expect(existsSync(seedPath)).toBe(false);
    await removeClone(conn, clone);
    await tpl.delete();
    expect(await conn.findDomain(CLONE)).toBeUndefined();
    expect(await conn.findDomain(TPL)).toBeUndefined();
  }, 420_000);
});
