// src/validate.ts: each rule once, and the modules that used to carry their own copy now refuse
// through it (same value, same verdict everywhere).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import {
  checkHostname, checkImageFormat, checkName, checkUserName, isHostname, isImageFormat, isUserName, isXmlPrefix,
  looksLikeUuid, normalizeUuid, validateAbsolutePath, validateMac, validateName, validatePositiveInt, validateUuid,
} from '../../src/validate.js';
import { volumeXml } from '../../src/xml/volume.js';
import { checkIdentity } from '../../src/xml/identity.js';
import { validateSealOptions } from '../../src/seal/index.js';
import { resolveDisks } from '../../src/seal/disks.js';

function refusal(fn: () => unknown): VirtkitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VirtkitError);
    expect((e as VirtkitError).code).toBe('INVALID_ARGUMENT');
    return e as VirtkitError;
  }
  throw new Error('expected a refusal');
}

describe('names', () => {
  it('accepts 1-255 bytes without / or control characters, not . or ..', () => {
    expect(validateName('web-01')).toBe('web-01');
    expect(validateName('x'.repeat(255))).toBe('x'.repeat(255));
    expect(validateName('é tè')).toBe('é tè');
  });
  it.each([
    ['', /non-empty/], ['a/b', /'\/'/], ['a\0b', /NUL/], ['a\nb', /control/], ['a\u007fb', /control/],
    ['.', /'\.'/], ['..', /'\.\.'/], ['é'.repeat(128), /255 bytes/], ['a\uD800', /well-formed/],
  ])('refuses %j', (name, msg) => {
    expect(refusal(() => validateName(name, 'volume name')).message).toMatch(msg);
  });
  it('names the argument in details', () => {
    expect(refusal(() => checkName('domain', 'a/b', 'opts.name')).details).toMatchObject({ argument: 'opts.name' });
    expect(refusal(() => checkName('domain', 5)).message).toMatch(/^domain name/);
  });
});

describe('UUIDs', () => {
  const canon = '0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01';
  it('normalizes dashed and plain forms, any case, to lower-case 8-4-4-4-12', () => {
    expect(normalizeUuid(canon)).toBe(canon);
    expect(normalizeUuid(canon.toUpperCase())).toBe(canon);
    expect(normalizeUuid(canon.replace(/-/g, ''))).toBe(canon);
    expect(normalizeUuid(canon.replace(/-/g, '').toUpperCase())).toBe(canon);
    expect(validateUuid(canon.replace(/-/g, ''))).toBe(canon);
  });
  it.each(['', 'nope', canon.slice(1), `${canon}0`, '0b6e3d1e-3a554c3c9d1a6a6f2f9c1a01', '0b6e3d1e3a55-4c3c-9d1a-6a6f2f9c1a01', canon.replace('0', 'g')])('refuses %j', (s) => {
    expect(normalizeUuid(s)).toBeUndefined();
    expect(looksLikeUuid(s)).toBe(false);
    refusal(() => validateUuid(s));
  });
});

describe('hostnames', () => {
  it.each(['a', 'web-01', 'web1.example.com', 'A1', `${'a'.repeat(63)}.b`])('accepts %j', (h) => {
    expect(isHostname(h)).toBe(true);
    expect(checkHostname(h)).toBe(h);
  });
  it.each(['', '-a', 'a-', 'web_1', 'a..b', '.a', 'a.', 'bad name', 'a'.repeat(64), `${'a.'.repeat(126)}ab`, 'é'])('refuses %j', (h) => {
    expect(isHostname(h)).toBe(false);
    expect(refusal(() => checkHostname(h, 'identity.hostname')).details).toMatchObject({ argument: 'identity.hostname' });
  });
  it('is the rule of customize and of the clone identity alike', () => {
    refusal(() => validateSealOptions({ disks: [], hostname: 'web_1' }));
    refusal(() => checkIdentity({ hostname: 'web_1' }));
    expect(checkIdentity({ hostname: 'web-1' }).hostname).toBe('web-1');
  });
});

describe('user names', () => {
  it.each(['root', '_svc', 'u1', 'a.b-c_d', `a${'b'.repeat(31)}`])('accepts %j', (u) => expect(isUserName(u)).toBe(true));
  it.each(['', '1abc', '-a', 'a b', 'a:b', 'machine$', `a${'b'.repeat(32)}`, 'é'])('refuses %j', (u) => {
    expect(isUserName(u)).toBe(false);
    refusal(() => checkUserName(u));
  });
  it('customize and the clone identity share it (32 characters, no $)', () => {
    const long = `a${'b'.repeat(32)}`;
    refusal(() => validateSealOptions({ disks: [], sshAuthorizedKeys: { [long]: ['ssh-ed25519 AAAA'] } }));
    refusal(() => validateSealOptions({ disks: [], passwords: { 'machine$': 'x' } }));
    refusal(() => checkIdentity({ sshAuthorizedKeys: { [long]: ['ssh-ed25519 AAAA'] } }));
  });
});

describe('image formats', () => {
  it.each(['qcow2', 'raw', 'vmdk', 'luks', 'host_device', 'vhdx-x'])('accepts %j', (f) => expect(isImageFormat(f)).toBe(true));
  it.each(['', 'QCOW2', 'qcow 2', 'raw;', '../x', 5])('refuses %j', (f) => {
    expect(isImageFormat(f)).toBe(false);
    refusal(() => checkImageFormat(f));
  });
  it('is the rule of volumes and of seal disks', () => {
    expect(refusal(() => volumeXml({ name: 'a', format: 'Raw', capacity: 1 })).message).toMatch(/format/);
    const dir = mkdtempSync(join(tmpdir(), 'vk-validate-'));
    try {
      writeFileSync(join(dir, 'd.img'), Buffer.alloc(4096));
      expect(refusal(() => resolveDisks([{ path: join(dir, 'd.img'), format: 'Raw' }])).details).toMatchObject({ argument: 'disks[].format' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('absolute paths', () => {
  it('accepts absolute paths, with .. unless noParent', () => {
    expect(validateAbsolutePath('/a/b')).toBe('/a/b');
    expect(validateAbsolutePath('/a/../b')).toBe('/a/../b');
    expect(refusal(() => validateAbsolutePath('/a/../b', 'pool path', { noParent: true })).message).toMatch(/'\.\.'/);
    expect(validateAbsolutePath('/a/..b', 'p', { noParent: true })).toBe('/a/..b');
  });
  it.each(['', 'rel', './a', '/a\0b', '/a\uD800', 7])('refuses %j', (p) => {
    expect(refusal(() => validateAbsolutePath(p, 'kernel')).details).toMatchObject({ argument: 'kernel' });
  });
});

describe('MAC addresses', () => {
  it('accepts unicast, lower-cases it', () => expect(validateMac('52:54:00:AA:bb:0C')).toBe('52:54:00:aa:bb:0c'));
  it.each(['', '52:54:00:aa:bb', '52-54-00-aa-bb-cc', '52:54:00:aa:bb:cg', '01:00:5e:00:00:01'])('refuses %j', (m) => {
    refusal(() => validateMac(m));
  });
  it('says why a multicast address is refused', () => expect(refusal(() => validateMac('01:00:00:00:00:01')).message).toMatch(/multicast/));
});

describe('small shapes', () => {
  it('positive integers', () => {
    expect(validatePositiveInt(3, 'vcpus')).toBe(3);
    for (const v of [0, -1, 1.5, NaN, '3', 2 ** 53]) refusal(() => validatePositiveInt(v, 'vcpus'));
  });
  it('XML prefixes', () => {
    expect(isXmlPrefix('virtkit')).toBe(true);
    expect(isXmlPrefix('_a.b-c1')).toBe(true);
    for (const p of ['', '1a', 'a:b', 'a b']) expect(isXmlPrefix(p)).toBe(false);
  });
});
