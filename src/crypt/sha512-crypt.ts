// SHA-512 crypt ("$6$"), the algorithm of glibc's crypt(3) as specified by Ulrich Drepper
// (https://www.akkadia.org/drepper/SHA-crypt.txt). Implemented here because Node has no crypt(3)
// and virtkit takes no extra dependency for it; node:crypto supplies SHA-512 and randomness.
import { createHash, randomBytes } from 'node:crypto';
import { invalid } from '../errors.js';

/** The crypt alphabet (not RFC 4648 base64: different order, no padding). */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

function sha512(...parts: Buffer[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `len` bytes made of `block` repeated (the "P" and "S" sequences of the spec). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

function encode(digest: Buffer): string {
  let out = '';
  const put = (b2: number, b1: number, b0: number, n: number) => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < n; i++) {
      out += ITOA64[w & 0x3f];
      w >>>= 6;
    }
  };
  // The spec's fixed byte permutation: triple k takes bytes (22k, 22k+21, 22k+42) mod 63.
  for (let k = 0; k < 21; k++) {
    const a = (k * 22) % 63;
    put(digest[a]!, digest[(a + 21) % 63]!, digest[(a + 42) % 63]!, 4);
  }
  put(0, 0, digest[63]!, 2);
  return out;
}

/**
 * Hashes `password` with SHA-512 crypt. Output equals glibc `crypt(pw, "$6$salt")` and
 * `openssl passwd -6 -salt SALT PW`.
 * @param salt up to 16 characters (longer salts are truncated, as glibc does); no `$`.
 * @param rounds omitted: 5000 and no `rounds=` field; given: clamped to [1000, 999999999] and written.
 */
export function sha512Crypt(password: string | Buffer, salt: string, rounds?: number): string {
  if (salt.includes('$') || salt.includes(':') || salt.includes('\n')) throw invalid('sha512Crypt: the salt may not contain "$", ":" or a newline');
  const pw = Buffer.isBuffer(password) ? password : Buffer.from(password, 'utf8');
  const s = Buffer.from(salt, 'utf8').subarray(0, SALT_MAX);
  const custom = rounds !== undefined;
  const r = custom ? Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Math.floor(rounds))) : ROUNDS_DEFAULT;

  const b = sha512(pw, s, pw);
  const aParts: Buffer[] = [pw, s, repeatTo(b, pw.length)];
  for (let n = pw.length; n > 0; n >>= 1) aParts.push(n & 1 ? b : pw);
  const a = sha512(...aParts);

  const p = repeatTo(sha512(...Array<Buffer>(pw.length).fill(pw)), pw.length);
  const sq = repeatTo(sha512(...Array<Buffer>(16 + a[0]!).fill(s)), s.length);

  let c = a;
  for (let i = 0; i < r; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? p : c);
    if (i % 3 !== 0) h.update(sq);
    if (i % 7 !== 0) h.update(p);
    h.update(i & 1 ? c : p);
    c = h.digest();
  }
  return `$6$${custom ? `rounds=${r}$` : ''}${s.toString('utf8')}$${encode(c)}`;
}

/** A random 16-character salt from the crypt alphabet (96 bits of entropy). */
export function randomSalt(length = SALT_MAX): string {
  // 64 symbols: the low 6 bits of a random byte pick one without bias.
  return [...randomBytes(length)].map((x) => ITOA64[x & 0x3f]).join('');
}

/** Hashes a password for /etc/shadow with a fresh random salt. */
export function hashPassword(password: string, rounds?: number): string {
  return sha512Crypt(password, randomSalt(), rounds);
}

/** True when `password` matches a `$6$` hash (compared in constant time). */
export function verifySha512Crypt(password: string, hash: string): boolean {
  const m = /^\$6\$(?:rounds=(\d+)\$)?([^$]{0,16})\$[./0-9A-Za-z]{86}$/.exec(hash);
  if (!m) return false;
  const again = Buffer.from(sha512Crypt(password, m[2]!, m[1] !== undefined ? Number(m[1]) : undefined));
  const want = Buffer.from(hash);
  if (again.length !== want.length) return false;
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff |= again[i]! ^ want[i]!;
  return diff === 0;
}
