// Clone identity in SMBIOS OEM strings: encoding, parsing, type 11 structures, limits.
import { describe, expect, it } from 'vitest';
import {
  MAX_OEM_ENTRY_BYTES, decodeSmbiosType11, encodeSmbiosType11, identityOemStrings, identitySecretLines, parseOemStrings, type CloneIdentity,
} from '../../src/xml/identity.js';
import { DomainXml } from '../../src/xml/domain.js';
import { VirtkitError } from '../../src/errors.js';

function expectInvalid(fn: () => unknown, pattern?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VirtkitError);
  expect((err as VirtkitError).code).toBe('INVALID_ARGUMENT');
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

const identity: CloneIdentity = {
  hostname: 'web1.example.com',
  sshAuthorizedKeys: {
    root: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0 admin@laptop', 'ssh-rsa AAAAB3Nza== "quoted comment" with spaces'],
    deploy: ['from="10.0.0.0/8",no-pty ssh-ed25519 AAAAC3Nz deploy@ci'],
  },
  rootPasswordHash: '$6$saltsalt$Q0ZJ5w7nS/abc.def',
  data: { role: 'frontend', motd: 'line one\nline two\n\ttabbed', 'unicode.text': 'héllo wörld ✓ 日本語 🚀', empty: '' },
};

describe('identityOemStrings / parseOemStrings', () => {
  it('writes a compact, readable encoding', () => {
    const oem = identityOemStrings({ hostname: 'web1', sshAuthorizedKeys: { root: ['ssh-ed25519 AAAA me'] }, data: { k: 'v v' } });
    expect(oem).toEqual([
      'virtkit:v=1',
      'virtkit:hostname=web1',
      `virtkit:ssh-key:root=${Buffer.from('ssh-ed25519 AAAA me').toString('base64')}`,
      `virtkit:data:k=${Buffer.from('v v').toString('base64')}`,
    ]);
    for (const e of oem) expect(e).not.toMatch(/[\s\0]/);
  });

  it('round-trips spaces, newlines, quotes and unicode', () => {
    // The hash goes to the seed's lines (identitySecretLines), in the same format.
    expect(parseOemStrings([...identityOemStrings(identity), ...identitySecretLines(identity).slice(1)])).toEqual(identity);
  });

  it('round-trips through domain XML and an SMBIOS type 11 structure', () => {
    const oem = identityOemStrings(identity);
    const d = DomainXml.create({ name: 'x', type: 'qemu', memoryMiB: 64, vcpus: 1, disks: [], oemStrings: oem });
    const back = new DomainXml(d.toString()).oemStrings;
    expect(back).toEqual(oem);
    const raw = encodeSmbiosType11(['other:vendor string', ...back]);
    expect(parseOemStrings(decodeSmbiosType11(raw))).toEqual({ ...identity, rootPasswordHash: undefined });
  });

  it('ignores entries of other software and unknown virtkit keys', () => {
    expect(parseOemStrings(['hello', 'virtkit:v=1', 'virtkit:future-thing=1', 'virtkit:hostname=a'])).toEqual({ hostname: 'a' });
  });

  it('refuses malformed virtkit entries', () => {
    expectInvalid(() => parseOemStrings(['virtkit:hostname']), /=/);
    expectInvalid(() => parseOemStrings(['virtkit:data:x=not base64!']), /base64/);
    expectInvalid(() => parseOemStrings(['virtkit:v=2']), /version/);
  });

  it('validates input', () => {
    expectInvalid(() => identityOemStrings({ hostname: 'bad_host!' }), /hostname/);
    expectInvalid(() => identityOemStrings({ hostname: `${'a'.repeat(64)}.com` }), /hostname/);
    expectInvalid(() => identityOemStrings({ rootPasswordHash: 'clear text' }), /crypt/);
    expectInvalid(() => identityOemStrings({ sshAuthorizedKeys: { 'bad user': ['k'] } }), /user/);
    expectInvalid(() => identityOemStrings({ sshAuthorizedKeys: { root: [''] } }));
    expectInvalid(() => identityOemStrings({ data: { 'has space': 'x' } }), /data key/);
  });

  it('enforces the documented per-entry limit', () => {
    const fits = 'x'.repeat(Math.floor(((MAX_OEM_ENTRY_BYTES - 'virtkit:data:k='.length) / 4) * 3));
    expect(() => identityOemStrings({ data: { k: fits } })).not.toThrow();
    let err: unknown;
    try {
      identityOemStrings({ data: { k: fits + 'xxx' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VirtkitError);
    expect((err as VirtkitError).code).toBe('INVALID_ARGUMENT');
    expect((err as VirtkitError).details).toMatchObject({ limit: MAX_OEM_ENTRY_BYTES });
  });

  it('enforces the count and total limits', () => {
    const many = Object.fromEntries(Array.from({ length: 255 }, (_, i) => [`k${i}`, 'v']));
    expectInvalid(() => identityOemStrings({ data: many }), /255/);
    const big = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'x'.repeat(3000)]));
    expectInvalid(() => identityOemStrings({ data: big }), /total/);
  });
});

describe('SMBIOS type 11', () => {
  it('decodes a structure as the kernel exposes it', () => {
    // type 11, length 5, handle 0x0b00, count 2, "a b", "é", final NUL
    const raw = Buffer.from([11, 5, 0x00, 0x0b, 2, 0x61, 0x20, 0x62, 0, 0xc3, 0xa9, 0, 0]);
    expect(decodeSmbiosType11(raw)).toEqual(['a b', 'é']);
    expect(encodeSmbiosType11(['a b', 'é'])).toEqual(raw);
  });

  it('handles an empty string set and a longer formatted area', () => {
    expect(decodeSmbiosType11(encodeSmbiosType11([]))).toEqual([]);
    expect(decodeSmbiosType11(Buffer.from([11, 6, 0, 0, 1, 0xff, 0x7a, 0, 0]))).toEqual(['z']);
  });

  it('refuses other structures and truncated input', () => {
    expectInvalid(() => decodeSmbiosType11(Buffer.from([1, 5, 0, 0, 0, 0, 0])), /type 11/);
    expectInvalid(() => decodeSmbiosType11(Buffer.from([11, 9, 0, 0, 1])), /truncated/);
    expectInvalid(() => decodeSmbiosType11(Buffer.from([11, 5, 0, 0, 1, 0x61])), /unterminated/);
  });
});
