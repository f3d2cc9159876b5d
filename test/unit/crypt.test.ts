import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hashPassword, randomSalt, sha512Crypt, verifySha512Crypt } from '../../src/crypt/index.js';

const openssl = (pw: string, salt: string) => execFileSync('openssl', ['passwd', '-6', '-salt', salt, pw]).toString().trim();

describe('sha512Crypt', () => {
  it('matches the test vectors of the specification', () => {
    expect(sha512Crypt('Hello world!', 'saltstring')).toBe('$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
    expect(sha512Crypt('Hello world!', 'saltstringsaltstring', 10000)).toBe(
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
  });

  it('hashes the empty password as glibc does (openssl refuses it)', () => {
    expect(sha512Crypt('', 'abc')).toBe('$6$abc$mJP3a6FyA8uCnzRtlnNypPwjnvpi5TP9qOrInzrfDmwxUQG38PkpCPdqfTb8JQfAngapMxeim4AZ..hSdRRzD.');
  });

  it('matches `openssl passwd -6` for assorted passwords and salts', () => {
    const cases: Array<[string, string]> = [
      ['x', 'a'], ['password', 'saltsalt'], ['p@ss w:rd$!', 'Zz09./abcdEFGH12'],
      ['é漢字🔑', 'unicode'], ['a'.repeat(63), 's1'], ['b'.repeat(64), 's2'], ['c'.repeat(65), 's3'], ['d'.repeat(200), 'longpw'],
    ];
    for (const [pw, salt] of cases) expect(sha512Crypt(pw, salt), `${pw.length} chars / ${salt}`).toBe(openssl(pw, salt));
  });

  it('matches openssl with random salts from randomSalt()', () => {
    for (let i = 0; i < 5; i++) {
      const salt = randomSalt();
      expect(salt).toMatch(/^[./0-9A-Za-z]{16}$/);
      expect(sha512Crypt(`pw${i}`, salt)).toBe(openssl(`pw${i}`, salt));
    }
  });

  it('hashPassword makes a fresh salt each time and verifies', () => {
    const a = hashPassword('secret');
    const b = hashPassword('secret');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(verifySha512Crypt('secret', a)).toBe(true);
    expect(verifySha512Crypt('Secret', a)).toBe(false);
    expect(verifySha512Crypt('x', 'not-a-hash')).toBe(false);
  });

  it('clamps rounds and rejects salts with "$"', () => {
    expect(sha512Crypt('x', 'salt', 10)).toMatch(/^\$6\$rounds=1000\$salt\$/);
    expect(() => sha512Crypt('x', 'a$b')).toThrow(/salt/);
  });
});
