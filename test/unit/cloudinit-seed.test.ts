// cloud-init NoCloud seeds (src/cloudinit): the YAML emitter checked against PyYAML (the parser
// cloud-init itself uses), the files made from an identity, and the ISO 9660 image read by
// independent readers (isoinfo from genisoimage, xorriso, blkid). The Linux kernel's own mount
// of the image is in test/integration/cloudinit-iso.test.ts (this host's kernel has no iso9660).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toYaml, yamlString } from '../../src/cloudinit/yaml.js';
import { noCloudSeed, noCloudSeedIso, type NoCloudSeedInput } from '../../src/cloudinit/seed.js';
import { iso9660Image } from '../../src/cloudinit/iso9660.js';
import { VirtkitError } from '../../src/errors.js';
import { spawnAsync } from '../helpers/spawn.js';

const which = async (cmd: string) => (await spawnAsync('sh', ['-c', `command -v ${cmd}`])).status === 0;
const havePyYaml = (await spawnAsync('/usr/bin/python3', ['-c', 'import yaml'])).status === 0;
const haveIsoinfo = await which('isoinfo');
const haveXorriso = await which('xorriso');
const haveBlkid = await which('blkid');

/** What PyYAML's safe_load reads from `yaml`, as JSON. */
async function pyLoad(yaml: string): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'vk-yaml-'));
  try {
    writeFileSync(join(dir, 'in.yaml'), yaml);
    const r = await spawnAsync('/usr/bin/python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8").read())))', join(dir, 'in.yaml')]);
    if (r.status !== 0) throw new Error(`PyYAML refused:\n${r.stderr}\n---\n${yaml}`);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refusal(fn: () => unknown): VirtkitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VirtkitError);
    return e as VirtkitError;
  }
  throw new Error('expected a refusal');
}

// Strings a plain YAML scalar would turn into something else, or that would break the document.
const TRICKY = [
  'no', 'yes', 'on', 'off', 'Y', 'n', 'true', 'False', '~', 'null', 'Null', '', ' ', '0777', '0x1f', '1e3', '.5', '-.inf', '.nan', '1_000',
  '2024-01-01', '12:30:45', '- a', ': b', '? c', '#c', 'a #b', 'a: b', '&anchor', '*alias', '!tag', '!!str', '%YAML', '@x', '`x', '|', '>', '[a]', '{a: 1}',
  "'", '"', '\\', '\\n', 'a"b\'c', '---', '...', 'a\n---\nb', ' leading', 'trailing ', 'tab\there', 'line\nbreak', 'cr\rlf', 'crlf\r\n',
  '\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0080', '\u0085', '\u009f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffd', '\ufffe', '\uffff', '\ud7ff', '\ue000',
  'é', 'ß', 'Ω', '中文', '😀', 'e\u0301', '<<', '=', '$6$salt$hash/with.dots',
];

describe.skipIf(!havePyYaml)('toYaml, read back by PyYAML', () => {
  it('keeps every tricky string a string, exactly', async () => {
    const doc = { list: TRICKY, map: Object.fromEntries(TRICKY.map((s, i) => [s, i])) };
    expect(await pyLoad(toYaml(doc))).toEqual(doc);
  });

  it('writes numbers, booleans, null, nesting and empty collections as their types', async () => {
    const doc = {
      n: [0, -7, 42, 9007199254740991, 1.5, -0.25],
      b: [true, false],
      z: null,
      empty: { a: [], o: {} },
      deep: [[['x', []], { k: [{ a: 1 }, [2, 3]] }], [], {}],
      users: ['default', { name: 'root', ssh_authorized_keys: ['ssh-ed25519 AAAA me@x'], lock_passwd: false }],
    };
    expect(await pyLoad(toYaml(doc))).toEqual(doc);
    expect(await pyLoad(toYaml([]))).toEqual([]);
    expect(await pyLoad(toYaml('just a string'))).toBe('just a string');
    expect(await pyLoad(toYaml({ big: 2n ** 70n }))).toEqual({ big: 1180591620717411303424 });
  });

  it('skips undefined members and writes -0 as 0', async () => {
    expect(toYaml({ a: undefined, b: -0 } as never)).toBe('"b": 0\n');
  });
});

describe('toYaml refusals', () => {
  it('refuses values it cannot carry exactly, naming the path', () => {
    expect(refusal(() => toYaml({ a: { b: [NaN] } } as never)).details?.argument).toBe('a.b[0]');
    expect(refusal(() => toYaml({ a: 1e21 })).details?.argument).toBe('a');
    expect(refusal(() => toYaml({ a: 1e-7 })).details?.argument).toBe('a');
    expect(refusal(() => toYaml({ d: new Date() } as never)).details?.argument).toBe('d');
    expect(refusal(() => toYaml({ f: (() => 1) as never })).details?.argument).toBe('f');
    expect(refusal(() => toYaml({ s: '\ud800' })).details?.argument).toBe('s');
    expect(refusal(() => toYaml({ a: [undefined] } as never)).details?.argument).toBe('a[0]');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(refusal(() => toYaml(loop as never)).message).toMatch(/refers to itself/);
  });
  it('quotes with escapes only where needed', () => {
    expect(yamlString('plain')).toBe('"plain"');
    expect(yamlString('a"b\\c\nd\te\u0085\u2028')).toBe('"a\\"b\\\\c\\nd\\te\\x85\\u2028"');
  });
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3ZfK0c0Yx virtkit@test';
const HASH = '$6$rounds=5000$salt$0123456789abcdefABCDEF./';
const INPUT: NoCloudSeedInput = {
  instanceId: '6c2a1d0e-1111-4222-8333-944455556666',
  hostname: 'web1.lab.test',
  sshAuthorizedKeys: { root: [KEY], debian: [KEY] },
  rootPasswordHash: HASH,
  data: { role: 'web', note: 'two\nlines' },
  userData: { packages: ['nginx'], runcmd: [['touch', '/run/x'], 'echo "hi"'], write_files: [{ path: '/etc/motd', content: 'yes: no\n' }] },
  networkConfig: { version: 2, ethernets: { nic0: { match: { macaddress: '52:54:00:00:00:01' }, dhcp4: true } } },
};

describe.skipIf(!havePyYaml)('noCloudSeed', () => {
  it('writes meta-data, #cloud-config user-data and network-config from the identity', async () => {
    const f = noCloudSeed(INPUT);
    expect(f['user-data'].startsWith('#cloud-config\n')).toBe(true);
    expect(await pyLoad(f['meta-data'])).toEqual({ 'instance-id': INPUT.instanceId, 'local-hostname': 'web1.lab.test', 'virtkit-data': { role: 'web', note: 'two\nlines' } });
    expect(await pyLoad(f['user-data'])).toEqual({
      hostname: 'web1',
      fqdn: 'web1.lab.test',
      users: ['default', { name: 'root', lock_passwd: false, ssh_authorized_keys: [KEY], hashed_passwd: HASH }, { name: 'debian', lock_passwd: false, ssh_authorized_keys: [KEY] }],
      disable_root: false,
      packages: ['nginx'],
      runcmd: [['touch', '/run/x'], 'echo "hi"'],
      write_files: [{ path: '/etc/motd', content: 'yes: no\n' }],
    });
    expect(await pyLoad(f['network-config']!)).toEqual(INPUT.networkConfig);
  });

  it('leaves out what was not asked for', async () => {
    const f = noCloudSeed({ instanceId: 'i-1' });
    expect(f['meta-data']).toBe('"instance-id": "i-1"\n');
    expect(f['user-data']).toBe('#cloud-config\n{}\n');
    expect(f['network-config']).toBeUndefined();
    // keys for a user only: no disable_root, no password
    expect(await pyLoad(noCloudSeed({ instanceId: 'i-1', sshAuthorizedKeys: { debian: [KEY] } })['user-data'])).toEqual({ users: ['default', { name: 'debian', lock_passwd: false, ssh_authorized_keys: [KEY] }] });
  });

  it('refuses bad identity fields, colliding cloud-config keys, a bad instance id or network config; never echoes a hash', () => {
    const cases: [Partial<NoCloudSeedInput> & Record<string, unknown>, string][] = [
      [{ hostname: 'bad_host' }, 'seed.hostname'],
      [{ sshAuthorizedKeys: { 'bad user': [KEY] } }, 'seed.sshAuthorizedKeys.bad user'],
      [{ sshAuthorizedKeys: { root: ['two\nlines'] } }, 'seed.sshAuthorizedKeys.root[0]'],
      [{ rootPasswordHash: 'has space' }, 'seed.rootPasswordHash'],
      [{ instanceId: 'has space' }, 'seed.instanceId'],
      [{ instanceId: '' }, 'seed.instanceId'],
      [{ userData: { users: [] } }, 'seed.userData.users'],
      [{ userData: { hostname: 'x' } }, 'seed.userData.hostname'],
      [{ userData: [] as never }, 'seed.userData'],
      [{ userData: { when: new Date() } }, 'seed.userData.when'],
      [{ networkConfig: { version: 3 } }, 'seed.networkConfig.version'],
      [{ colour: 'red' } as never, 'seed.colour'],
    ];
    for (const [over, argument] of cases) {
      const e = refusal(() => noCloudSeed({ ...INPUT, ...over } as NoCloudSeedInput));
      expect(e.code, argument).toBe('INVALID_ARGUMENT');
      expect(e.details?.argument, argument).toBe(argument);
      expect(e.message).not.toContain(HASH);
    }
  });
});

describe('iso9660Image', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-iso-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const date = new Date('2025-06-07T08:09:10Z');
  const seedPath = join(dir, 'seed.iso');
  const iso = noCloudSeedIso(INPUT, { date });
  writeFileSync(seedPath, iso);
  const files = noCloudSeed(INPUT);

  it('is reproducible and sector-aligned', () => {
    expect(iso.length % 2048).toBe(0);
    expect(noCloudSeedIso(INPUT, { date }).equals(iso)).toBe(true);
    expect(iso.toString('latin1', 0x8001, 0x8006)).toBe('CD001');
  });

  it.skipIf(!haveIsoinfo)('isoinfo reads the Joliet names, the label and every file byte for byte', async () => {
    const d = await spawnAsync('isoinfo', ['-d', '-i', seedPath]);
    expect(d.stdout).toMatch(/^Volume id: cidata$/m);
    expect(d.stdout).toMatch(/Joliet with UCS level 3 found/);
    const l = await spawnAsync('isoinfo', ['-J', '-l', '-i', seedPath]);
    const names = [...l.stdout.matchAll(/\]\s+(\S+);1\s*$/gm)].map((m) => m[1]);
    expect(names).toEqual(['meta-data', 'network-config', 'user-data']);
    for (const [name, content] of Object.entries(files)) {
      const x = await spawnAsync('isoinfo', ['-J', '-x', `/${name};1`, '-i', seedPath]);
      expect(x.stdout, name).toBe(content);
    }
    // the primary tree's level 1 names
    const p = await spawnAsync('isoinfo', ['-l', '-i', seedPath]);
    expect([...p.stdout.matchAll(/\]\s+(\S+)\s*$/gm)].map((m) => m[1]).filter((n) => n !== '.' && n !== '..')).toEqual(['META_DAT.;1', 'NETWORK_.;1', 'USER_DAT.;1']);
  });

  it.skipIf(!haveXorriso)('xorriso lists the same files with their sizes', async () => {
    const r = await spawnAsync('xorriso', ['-indev', seedPath, '-find', '/', '-type', 'f', '-exec', 'lsdl'], { env: { ...process.env, LC_ALL: 'C' } });
    expect(r.status).toBe(0);
    for (const [name, content] of Object.entries(files)) {
      expect(r.stdout).toMatch(new RegExp(`\\s${Buffer.byteLength(content)}\\s.*'/${name}'`));
    }
  });

  it.skipIf(!haveBlkid)('blkid sees an iso9660 filesystem labelled cidata', async () => {
    const r = await spawnAsync('blkid', ['-p', '-o', 'export', seedPath]);
    expect(r.stdout).toMatch(/^TYPE=iso9660$/m);
    expect(r.stdout).toMatch(/^LABEL=cidata$/m);
  });

  it.skipIf(!haveIsoinfo)('spreads a directory over several sectors and files of any size', async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ name: `file-number-${String(i).padStart(2, '0')}-with-a-long-name.txt`, data: `#${i}\n`.repeat(i * 50) }));
    const big = { name: 'big.bin', data: Buffer.alloc(5000, 7) };
    const empty = { name: 'empty', data: '' };
    const p = join(dir, 'many.iso');
    writeFileSync(p, iso9660Image({ volumeId: 'many', files: [...many, big, empty], date }));
    const l = await spawnAsync('isoinfo', ['-J', '-l', '-i', p]);
    const names = [...l.stdout.matchAll(/\]\s+(\S+);1\s*$/gm)].map((m) => m[1]);
    expect(names).toEqual([...many.map((f) => f.name), big.name, empty.name].sort());
    for (const f of [many[0]!, many[59]!, big, empty]) {
      const x = await spawnAsync('sh', ['-c', 'isoinfo -J -x "$1" -i "$2" | sha256sum', 'sh', `/${f.name};1`, p]);
      expect(x.stdout.split(' ')[0], f.name).toBe(createHash('sha256').update(f.data).digest('hex'));
    }
  });

  it('refuses bad labels, names and duplicates', () => {
    expect(refusal(() => iso9660Image({ volumeId: 'has space', files: [] })).details?.argument).toBe('volumeId');
    expect(refusal(() => iso9660Image({ volumeId: 'x', files: [{ name: 'a/b', data: '' }] })).details?.argument).toBe('files[0].name');
    expect(refusal(() => iso9660Image({ volumeId: 'x', files: [{ name: 'a;1', data: '' }] })).details?.argument).toBe('files[0].name');
    expect(refusal(() => iso9660Image({ volumeId: 'x', files: [{ name: 'a', data: '' }, { name: 'a', data: 'b' }] })).details?.argument).toBe('files[1].name');
    expect(refusal(() => iso9660Image({ volumeId: 'x', files: [{ name: 'a', data: 5 as never }] })).details?.argument).toBe('files[0].data');
  });
});
