// The seal engine's glob matcher against glob(3)'s rules: a table of cases with the answers
// POSIX and glibc give, then the same matcher and the Effects glob (host-side listing match and
// glob_expand) checked against the host's own glibc fnmatch(3) and glob(3), compiled here.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasBraceExpression, isMagic, segmentMatcher, sortLikeGlob, unescapeSegment } from '../../src/seal/glob.js';
import { Effects } from '../../src/seal/effects.js';
import type { SealGuest } from '../../src/seal/guest-api.js';

const work = mkdtempSync(join(tmpdir(), 'vkglob'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// fnmatch(pattern, name, FNM_PERIOD) for pairs of lines on stdin ("m"), or glob(3) with
// GLOB_MARK | GLOB_BRACE as libguestfs's glob_expand calls it ("g ROOT PATTERN", NUL-separated).
const C_SOURCE = `
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  if (argc == 4 && argv[1][0] == 'g') {
    char pat[8192]; glob_t g; size_t i, n = strlen(argv[2]);
    snprintf(pat, sizeof pat, "%s%s", argv[2], argv[3]);
    if (glob(pat, GLOB_MARK | GLOB_BRACE, NULL, &g) == 0)
      for (i = 0; i < g.gl_pathc; i++) { fputs(g.gl_pathv[i] + n, stdout); putchar(0); }
    return 0;
  }
  char p[4096], s[4096];
  while (fgets(p, sizeof p, stdin) && fgets(s, sizeof s, stdin)) {
    p[strcspn(p, "\\n")] = 0; s[strcspn(s, "\\n")] = 0;
    putchar(fnmatch(p, s, FNM_PERIOD) == 0 ? '1' : '0');
  }
  return 0;
}
`;
const helper = (() => {
  const src = join(work, 'glibc.c');
  const bin = join(work, 'glibc');
  writeFileSync(src, C_SOURCE);
  return spawnSync('cc', ['-O', '-o', bin, src]).status === 0 ? bin : undefined;
})();
const fnmatch = (pairs: [string, string][]): boolean[] =>
  [...execFileSync(helper!, ['m'], { input: pairs.map(([p, n]) => `${p}\n${n}\n`).join(''), env: { LC_ALL: 'C' } }).toString()].map((c) => c === '1');

/** [pattern, name, matches] by glob(3) (fnmatch with FNM_PERIOD, escapes on, C locale). */
const CASES: [string, string, boolean][] = [
  ['*.log', 'syslog.log', true],
  ['*.log', '.hidden.log', false], // a wildcard never matches a leading '.'
  ['.*', '.hidden', true],
  ['?', 'a', true],
  ['?', '.', false],
  ['[.]x', '.x', false], // nor does a set
  ['\\.x', '.x', true],
  ['[[:digit:]]*', '1abc', true],
  ['[[:digit:]]*', 'abc', false],
  ['[[:alpha:][:digit:]]', '7', true],
  ['[[:upper:]]', 'a', false],
  ['[[:foo:]]', 'f', false], // an unknown class matches nothing
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['a\\', 'a', false], // a trailing '\' matches nothing
  ['a\\', 'a\\', false],
  ['[]]', ']', true], // ']' first is a member
  ['[]]', 'a', false],
  ['[!]]', 'a', true],
  ['[!]]', ']', false],
  ['[^a]', 'b', true], // glibc takes '^' like '!'
  ['[^a]', 'a', false],
  ['[]a]', 'a', true],
  ['[a-c]x', 'bx', true],
  ['[a-c]x', 'dx', false],
  ['[z-a]', 'm', false], // a reversed range is empty
  ['[a-]', '-', true],
  ['[-a]', '-', true],
  ['[\\]]', ']', true],
  ['[\\!a]', '!', true],
  ['[', '[', true], // an unterminated '[' is itself
  ['a[b', 'a[b', true],
  ['[!]', '[!]', true],
  ['[]', '[]', true],
  ['\\[a]', '[a]', true],
  ['[[=a=]]', 'a', true],
  ['[[.-.]]', '-', true],
  ['*[!.]', 'ab', true],
  ['*[!.]', 'a.', false],
  ['{a,b}', 'a', false], // braces are glob(3)'s expansion, not fnmatch's
  ['{a,b}', '{a,b}', true],
  ['?', 'é', false], // one byte in the C locale, and 'é' is two
  ['??', 'é', true],
  ['__db.*', '__db.001', true],
  ['btmp*', 'wtmp', false],
  ['a+b(c)', 'a+b(c)', true],
];

describe('segmentMatcher: glob(3) cases', () => {
  it.each(CASES)('%j on %j is %s', (pattern, name, want) => {
    expect(segmentMatcher(pattern).test(name)).toBe(want);
  });

  it.skipIf(!helper)('agrees with the table: the host glibc gives the same answers', () => {
    expect(fnmatch(CASES.map(([p, n]) => [p, n]))).toEqual(CASES.map(([, , w]) => w));
  });

  it.skipIf(!helper)('agrees with glibc fnmatch(3) on 30 000 generated patterns and names', () => {
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const pat = ['a', 'b', 'z', '-', ']', '[', '!', '^', '\\', '*', '?', '.', ':', '=', '[:digit:]', '[:alpha:]', '[:foo:]', '[=a=]', '[.a.]', '[.-.]', 'é', '0', 'A'];
    const nam = ['a', 'b', 'z', '-', ']', '[', '!', '^', '\\', '.', ':', '=', '0', 'A', 'é', 'x'];
    const pairs: [string, string][] = [];
    for (let i = 0; i < 30_000; i++) {
      let p = '';
      for (let k = 1 + rnd(10); k > 0; k--) p += pat[rnd(pat.length)];
      let n = '';
      for (let k = 1 + rnd(4); k > 0; k--) n += nam[rnd(nam.length)];
      pairs.push([p, n]);
    }
    const want = fnmatch(pairs);
    const wrong = pairs.filter(([p, n], i) => segmentMatcher(p).test(n) !== want[i]);
    expect(wrong).toEqual([]);
  });
});

describe('glob(3) structure', () => {
  it('finds magic the way glibc does', () => {
    expect(['*', 'a?', '[ab]', 'x[]]'].map(isMagic)).toEqual([true, true, true, true]);
    expect(['plain', '\\*', 'a[b', 'a]b[', '\\[a]', '{a,b}'].map(isMagic)).toEqual([false, false, false, false, false, false]);
  });

  it('unescapes literal segments', () => {
    expect(unescapeSegment('a\\*b')).toBe('a*b');
    expect(unescapeSegment('\\\\')).toBe('\\');
    expect(unescapeSegment('a\\')).toBeUndefined();
  });

  it('recognises brace expressions as glob(3) with GLOB_BRACE does', () => {
    expect(['/a/{b,c}', '/{x}', '/a{b,{c,d}}e', '/{,}'].map(hasBraceExpression)).toEqual([true, true, true, true]);
    expect(['/a/{b,c', '/a/\\{b,c}', '/a/}{', '/plain'].map(hasBraceExpression)).toEqual([false, false, false, false]);
  });

  it('sorts by bytes, as glob(3) in the C locale', () => {
    expect(sortLikeGlob(['b', 'B', 'é', 'a', '_', 'Z'])).toEqual(['B', 'Z', '_', 'a', 'b', 'é']);
  });
});

describe.skipIf(!helper)('Effects.glob: the same paths wherever the wildcard sits', () => {
  // A tree on the host, globbed by the seal engine through a SealGuest whose glob_expand is the
  // host's glibc glob(3) and whose ls is readdir: host-side matching and glob_expand must agree.
  const root = join(work, 'root');
  const names = ['a.log', 'b.log', '.hidden.log', '1.log', 'x*y', '*', '[', ']', 'a]', 'ab', 'é.log', 'Z.log', 'br{ace', 'p,q', 'a\\b'];
  for (const d of ['var/log', 'var/log/sub', 'var/log/.dot', 'etc/ssh', 'home/u1', 'home/.u2']) mkdirSync(join(root, d), { recursive: true });
  for (const n of names) writeFileSync(join(root, 'var/log', n), '');
  for (const n of ['ssh_host_rsa_key', 'ssh_host_rsa_key.pub', 'sshd_config']) writeFileSync(join(root, 'etc/ssh', n), '');
  for (const h of ['home', 'home/u1', 'home/.u2']) writeFileSync(join(root, h, '.bash_history'), '');
  symlinkSync('/nonexistent', join(root, 'var/log/dangling.log'));
  const calls: string[] = [];
  const guest = {
    ls: (dir: string) => readdirSync(join(root, dir)),
    globExpand: (pattern: string) => {
      calls.push(pattern);
      return execFileSync(helper!, ['g', root, pattern], { env: { LC_ALL: 'C' } }).toString().split('\0').filter(Boolean);
    },
    exists: () => false,
    isSymlink: () => false,
  } as unknown as SealGuest;
  const viaExpand = async (pattern: string) => {
    const all = await guest.globExpand(pattern);
    return all.map((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p)).filter((p) => !p.split('/').some((s) => s === '.' || s === '..'));
  };

  const LAST = ['/var/log/*.log', '/var/log/[[:digit:]]*', '/var/log/\\*', '/var/log/[]]', '/var/log/[!]]*', '/var/log/x\\*y', '/var/log/?.log',
    '/var/log/.*', '/var/log/*', '/var/log/[', '/var/log/a]', '/var/log/[ab]*', '/var/log/??.log', '/var/log/a\\\\b', '/etc/ssh/*_host_*', '/var/l\\og/*.log'];
  it.each(LAST)('%s (wildcard last: host-side match, no glob_expand)', async (pattern) => {
    calls.length = 0;
    const got = await new Effects(guest, true).glob(pattern);
    expect(calls).toEqual([]);
    expect(got).toEqual(await viaExpand(pattern));
  });

  it('matches the same names when the wildcard also sits in a middle segment', async () => {
    for (const [middle, last] of [['/var/l*/*.log', '/var/log/*.log'], ['/v?r/log/[[:digit:]]*', '/var/log/[[:digit:]]*'], ['/var/[l]og/\\*', '/var/log/\\*'], ['/[v]ar/log/[]]', '/var/log/[]]']]) {
      calls.length = 0;
      const a = await new Effects(guest, true).glob(middle!);
      expect(calls).toEqual([middle]);
      expect(a).toEqual(await new Effects(guest, true).glob(last!));
    }
    // '.*' in the middle: glob(3) would also give /home/./ and /home/../; the engine never does
    expect(await new Effects(guest, true).glob('/home/.*/.bash_history')).toEqual(['/home/.u2/.bash_history']);
    expect(await new Effects(guest, true).glob('/home/*/.bash_history')).toEqual(['/home/u1/.bash_history']);
  });

  it('leaves braces to glob(3) and finds literal paths with escapes', async () => {
    calls.length = 0;
    expect(await new Effects(guest, true).glob('/var/log/{a,b}.log')).toEqual(['/var/log/a.log', '/var/log/b.log']);
    expect(calls).toEqual(['/var/log/{a,b}.log']);
    expect(await new Effects(guest, true).glob('/var/log/br{ace')).toEqual(['/var/log/br{ace']);
    expect(await new Effects(guest, true).glob('/var/log/x\\*y')).toEqual(['/var/log/x*y']);
    expect(await new Effects(guest, true).glob('/var/log/dangling.log')).toEqual(['/var/log/dangling.log']);
    expect(await new Effects(guest, true).glob('/var/log/a.log\\')).toEqual([]);
    expect(await viaExpand('/var/log/x\\*y')).toEqual(['/var/log/x*y']);
  });
});
