// The virtkit CLI, run as a process: usage and error paths (no daemon or test:///default),
// a template/clone flow on qemu:///system with --no-seal (no appliance), and one dry-run seal of
// a Debian-like fixture (the fixture build and the seal are the file's two appliance launches).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, removeClone, Template } from '../../src/index.js';
import { createDisk, writeDebianLikeTree } from '../fixtures/disks.js';
import { SYSTEM_URI, ensureDaemon, scratchPool } from '../helpers/system.js';
import { ROOT, ensureBuilt, json, vk, vkInterrupted, type Result } from './run.js';

// This machine's KVM is broken ('auto' would try it first): TCG unless told otherwise.
const ACCEL = process.env.VIRTKIT_ACCEL ?? 'tcg';
const tmp = mkdtempSync(join(tmpdir(), 'vk-cli-'));
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One line on stderr, starting 'virtkit: CODE: '. */
function failsWith(r: Result, code: string, exit = 1): void {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toMatch(new RegExp(`^virtkit: ${code}: `));
  expect(r.stdout).toBe('');
}
function usage(r: Result, text: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toContain(text);
  expect(r.lines[0]).toMatch(/--help'\)$/);
}

describe('usage', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(await vk('--version')).toMatchObject({ code: 0, stdout: `virtkit ${pkg.version}\n`, stderr: '' });
    expect(json(await vk('--version', '--json'))).toEqual({ version: pkg.version });
  });

  it('--help lists every command; each command has its own help', async () => {
    const r = await vk('--help');
    expect(r.code).toBe(0);
    for (const c of ['seal', 'template create', 'template convert', 'template list', 'template show', 'template delete', 'template recover', 'deploy', 'clones', 'flatten', 'remove'])
      expect(r.stdout).toContain(`  ${c} `);
    expect((await vk('deploy', '--help')).stdout).toMatch(/^Usage: virtkit deploy TEMPLATE NAME/);
    expect((await vk('help', 'template', 'create')).stdout).toMatch(/^Usage: virtkit template create NAME --from DOMAIN --pool POOL/);
    expect((await vk('template', '--help')).stdout).toContain('template recover');
  });

  it('bad command lines exit 2 with one line and a hint', async () => {
    usage(await vk('--bogus'), "unknown option '--bogus'");
    usage(await vk('seal', '-a', 'x', '--bogus'), "unknown option '--bogus' (see 'virtkit seal --help')");
    usage(await vk('frobnicate'), "unknown command 'frobnicate'");
    usage(await vk('template', 'frob'), "unknown command 'template frob'");
    usage(await vk('template'), "missing subcommand of 'template'");
    usage(await vk(), 'missing command');
    usage(await vk('deploy', 'tpl'), 'missing NAME');
    usage(await vk('template', 'show', 'a', 'b'), "unexpected argument 'b'");
    usage(await vk('seal'), 'missing -a DISK or -d DOMAIN');
    usage(await vk('seal', '-a', 'x', '-d', 'y'), 'not both');
    usage(await vk('deploy', 't', 'n', '--count', '0'), '--count takes a positive integer');
    usage(await vk('deploy', 't', 'n', '--linked', '--full'), '--linked or --full');
    usage(await vk('deploy', 't', 'n', '--ip', '10.0.0.5'), '--ip needs --network');
    usage(await vk('deploy', 't', 'n', '--network', 'lab', '--ip', '10.0.0.5', '--count', '2'), '--ip takes one clone');
    usage(await vk('seal', '-a', 'x', '--accel', 'fast'), '--accel takes auto, kvm or tcg');
    usage(await vk('template', 'list', '-c'), "option '--connect' needs a value");
    usage(await vk('template', 'create', 't', '--from', 'v', '--pool', 'p', '--no-seal', '--hostname', 'h'), '--no-seal cannot be combined');
  });

  it('--json reports usage errors as JSON on stderr', async () => {
    const r = await vk('frob', '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'USAGE', message: "unknown command 'frob'" } });
  });
});

describe('seal without an appliance', () => {
  it('--list-operations: a table like virt-sysprep, or JSON', async () => {
    const r = await vk('seal', '--list-operations');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^machine-id +\* +Remove the local machine ID$/m);
    expect(r.stdout).toMatch(/^ca-certificates {3,}Remove CA certificates/m);
    const ops = json(await vk('seal', '--list-operations', '--json'));
    expect(ops.length).toBeGreaterThan(20);
    expect(ops.find((o: any) => o.name === 'machine-id')).toMatchObject({ enabledByDefault: true, supported: true });
    expect(Object.keys(ops[0]).sort()).toEqual(expect.arrayContaining(['description', 'enabledByDefault', 'name', 'supported']));
  });

  it('a missing disk: NOT_FOUND, exit 1', async () => {
    failsWith(await vk('seal', '-a', join(tmp, 'nope.qcow2')), 'NOT_FOUND');
  });

  it('an unknown operation: UNKNOWN_OPERATION, checked before the disk', async () => {
    const r = await vk('seal', '-a', join(tmp, 'nope.qcow2'), '--operations', 'defaults,frob');
    failsWith(r, 'UNKNOWN_OPERATION');
    expect(r.lines[0]).toContain("virtkit seal --list-operations");
  });

  it('--json errors: {error:{code,message,details}} on stderr, nothing on stdout', async () => {
    const r = await vk('seal', '-a', join(tmp, 'nope.qcow2'), '--enable', 'frob', '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'UNKNOWN_OPERATION', details: { operation: 'frob' } } });
  });

  it('a missing SSH key file: NOT_FOUND', async () => {
    failsWith(await vk('seal', '-a', join(tmp, 'x'), '--ssh-inject', `root:${join(tmp, 'nokey.pub')}`), 'NOT_FOUND');
  });

  it('--debug adds the stack', async () => {
    const r = await vk('seal', '-a', join(tmp, 'nope.qcow2'), '--debug');
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatch(/^virtkit: NOT_FOUND: /);
    expect(r.stderr).toContain('VirtkitError: seal: disk');
    expect(r.lines.length).toBeGreaterThan(2);
  });
});

describe('on test:///default', () => {
  const T = ['-c', 'test:///default'];
  it('template list: none, as text and JSON', async () => {
    expect(await vk('template', 'list', ...T)).toMatchObject({ code: 0, stdout: 'No templates.\n' });
    expect(json(await vk('template', 'list', ...T, '--json'))).toEqual([]);
    expect(await vk('template', 'list', ...T, '-q')).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
  it('unknown templates and domains', async () => {
    failsWith(await vk('template', 'show', 'nope', ...T), 'NOT_FOUND');
    failsWith(await vk('clones', 'nope', ...T), 'NOT_FOUND');
    failsWith(await vk('deploy', 'nope', 'x', ...T), 'NOT_FOUND');
    failsWith(await vk('template', 'delete', 'nope', ...T), 'NOT_FOUND');
    failsWith(await vk('flatten', 'nope', ...T), 'VIR_ERR_NO_DOMAIN');
  });
  it('a running domain is refused', async () => {
    failsWith(await vk('seal', '-d', 'test', ...T), 'DOMAIN_RUNNING');
    failsWith(await vk('flatten', 'test', ...T), 'DOMAIN_RUNNING');
    failsWith(await vk('template', 'convert', 'test', '--no-seal', ...T), 'DOMAIN_RUNNING');
    failsWith(await vk('remove', 'test', ...T), 'INVALID_ARGUMENT');
  });
  it('template recover: an empty report', async () => {
    expect(json(await vk('template', 'recover', ...T, '--json'))).toEqual({ removed: [], markedBroken: [], removedClones: [], removedSeeds: [] });
  });
  it('a bad URI is libvirt\'s error', async () => {
    const r = await vk('template', 'list', '-c', 'bogus:///x');
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^virtkit: VIR_ERR_[A-Z_]+: /);
  });
});

describe(`template flow on ${SYSTEM_URI} (no sealing)`, () => {
  const tag = `cli${process.pid}`;
  const S = ['-c', SYSTEM_URI];
  const src = `vkt-${tag}-src`;
  const tpl = `vkt-${tag}-tpl`;
  let conn: Connection;
  let scratch: Awaited<ReturnType<typeof scratchPool>>;
  const srcDir = `/var/lib/virtkit-test/${tag}-src`;

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    scratch = await scratchPool(conn, tag);
    mkdirSync(srcDir, { recursive: true });
    await createDisk(`${srcDir}/src.qcow2`, { format: 'qcow2', sizeMiB: 16 }); // no fs: no launch
    await conn.defineDomain(`<domain type='qemu'><name>${src}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
      <os><type arch='x86_64'>hvm</type></os><devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${srcDir}/src.qcow2'/><target dev='vda' bus='virtio'/></disk>
      <interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/></interface></devices></domain>`);
  });
  afterAll(async () => {
    for (const d of await conn.domains()) {
      if (!d.name.startsWith(`vkt-${tag}`) && !d.name.startsWith(`${tag}-`)) continue;
      await removeClone(conn, d).catch(() => undefined);
      await (await Template.get(conn, d.name).catch(() => undefined))?.delete().catch(() => undefined);
      await d.undefine().catch(() => undefined);
    }
    await scratch?.remove();
    rmSync(srcDir, { recursive: true, force: true });
    await conn?.close();
  });

  it('template create --no-seal --json', async () => {
    const t = json(await vk('template', 'create', tpl, '--from', src, '--pool', scratch.pool.name, '--no-seal', '--json', ...S));
    expect(t).toMatchObject({ name: tpl, state: 'ready', version: 1, operations: [], origin: { name: src } });
    expect(Object.keys(t).sort()).toEqual(['disks', 'name', 'operations', 'origin', 'sealedAt', 'state', 'uuid', 'version']);
    expect(t.disks).toEqual([{ target: 'vda', path: `${scratch.dir}/${tpl}-vda.qcow2`, format: 'qcow2' }]);
    failsWith(await vk('template', 'create', tpl, '--from', src, '--pool', scratch.pool.name, '--no-seal', ...S), 'ALREADY_EXISTS');
  });

  it('template list and show', async () => {
    const list = json(await vk('template', 'list', '--json', ...S));
    expect(list.find((t: any) => t.name === tpl)).toMatchObject({ state: 'ready' });
    const r = await vk('template', 'list', ...S);
    expect(r.stdout).toMatch(/^NAME +STATE +VERSION +SEALED +DISKS$/m);
    expect(r.stdout).toMatch(new RegExp(`^${tpl} +ready +1 `, 'm'));
    expect((await vk('template', 'show', tpl, ...S)).stdout).toMatch(/^Operations: +none \(not sealed\)$/m);
  });

  it('deploy --count 2 (linked), then clones', async () => {
    const made = json(await vk('deploy', tpl, `${tag}-c`, '--count', '2', '--json', ...S));
    expect(made.map((c: any) => [c.name, c.hostname, c.mode, c.state])).toEqual([
      [`${tag}-c-1`, `${tag}-c-1`, 'linked', 'shutoff'],
      [`${tag}-c-2`, `${tag}-c-2`, 'linked', 'shutoff'],
    ]);
    expect(made[0].template).toMatchObject({ name: tpl, version: 1 });
    const clones = json(await vk('clones', tpl, '--json', ...S));
    expect(clones.map((c: any) => c.name)).toEqual([`${tag}-c-1`, `${tag}-c-2`]);
    expect(json(await vk('template', 'show', tpl, '--json', ...S)).clones.map((c: any) => c.name)).toEqual([`${tag}-c-1`, `${tag}-c-2`]);
  });

  it('deploy --full with identity flags; an existing name is refused', async () => {
    const key = join(tmp, 'id.pub');
    writeFileSync(key, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBk2ZmJmZDk0MmE1OTA0NmE2YjQ1ZWQzYzY5OTk0ZjM me@host\n');
    const [c] = json(await vk('deploy', tpl, `${tag}-full`, '--full', '--hostname', 'web', '--ssh-key', `admin:${key}`, '--json', ...S));
    expect(c).toMatchObject({ name: `${tag}-full`, mode: 'full', hostname: 'web' });
    failsWith(await vk('deploy', tpl, `${tag}-full`, ...S), 'ALREADY_EXISTS');
  });

  it('template delete is refused while clones exist', async () => {
    const r = await vk('template', 'delete', tpl, ...S);
    failsWith(r, 'TEMPLATE_IN_USE');
    expect(r.lines[0]).toContain(`${tag}-c-1`);
  });

  it('flatten turns a linked clone into a full one', async () => {
    const f = json(await vk('flatten', `${tag}-c-1`, '--json', ...S));
    expect(f.disks[0].path).toBe(`${scratch.dir}/${tag}-c-1-vda-full.qcow2`);
  });

  it('remove the clones, then delete the template', async () => {
    expect(json(await vk('remove', `${tag}-c-1`, `${tag}-c-2`, `${tag}-full`, '--json', ...S))).toEqual({
      removed: [`${tag}-c-1`, `${tag}-c-2`, `${tag}-full`],
    });
    expect(await vk('template', 'delete', tpl, ...S)).toMatchObject({ code: 0, stdout: `Deleted template '${tpl}'.\n` });
  });

  it('template convert --no-seal makes the VM itself a template', async () => {
    const t = json(await vk('template', 'convert', src, '--no-seal', '--json', ...S));
    expect(t).toMatchObject({ name: src, state: 'ready', origin: { name: src } });
    expect(await vk('template', 'delete', src, '-q', ...S)).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});

describe('seal with an appliance (dry run)', () => {
  let disk: string;
  beforeAll(async () => {
    disk = join(tmp, 'debian.qcow2');
    await createDisk(disk, { format: 'qcow2', sizeMiB: 128, fs: 'ext4', open: { accel: ACCEL as 'tcg' }, populate: (g) => writeDebianLikeTree(g, { hostname: 'cli-fixture' }) });
  }, 300_000);

  it('seal -a DISK --dry-run --json reports and changes nothing', async () => {
    const before = createHash('sha256').update(readFileSync(disk)).digest('hex');
    const r = await vk('seal', '-a', disk, '--dry-run', '--hostname', 'sealed', '--accel', ACCEL, '--json');
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({ dryRun: true, disks: [disk], guest: { distro: 'debian', hostname: 'cli-fixture' } });
    expect(rep.operations.map((o: any) => o.name)).toEqual(expect.arrayContaining(['machine-id', 'ssh-hostkeys', 'customize']));
    expect(rep.operations.find((o: any) => o.name === 'customize').changed).toContain('/etc/hostname');
    expect(rep.timings.launchMs).toBeGreaterThan(0);
    expect(createHash('sha256').update(readFileSync(disk)).digest('hex')).toBe(before);
  });

  it('SIGINT during the launch exits 130', async () => {
    const r = await vkInterrupted(1500, 'seal', '-a', disk, '--dry-run', '--accel', ACCEL);
    expect(r.code, r.stderr).toBe(130);
    expect(r.lines.at(-1)).toBe('virtkit: ABORTED: interrupted');
    expect(r.ms).toBeLessThan(15_000);
  });
});
