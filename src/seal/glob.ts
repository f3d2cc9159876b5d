// glob(3) as the appliance runs it, for the globs the seal engine resolves from cached directory
// listings instead of a glob_expand round trip. One matcher, ported from glibc's fnmatch (flags
// FNM_PERIOD, escapes on, C locale), so a pattern means the same on the host and in the appliance
// (glob_expand is glibc glob(3) with GLOB_MARK | GLOB_BRACE):
//   *  ?        any run / any one byte, never a leading '.'
//   [...]      a set: ranges a-z, classes [:digit:] (C locale), [=c=] and [.c.] of one byte,
//              '!' or '^' first negates, ']' first is a member, '\' escapes; a set never matches
//              a leading '.'; an unterminated '[' is a literal '['
//   \c         c itself; a trailing lone '\' matches nothing
//   {a,b}      brace expansion is glob(3)'s, not fnmatch's: see hasBraceExpression
// Names are matched as bytes (their UTF-8 form), as glibc does in the C locale: '?' is one byte.

/** Something that tells whether one file name matches a segment pattern. */
export interface SegmentMatcher {
  test(name: string): boolean;
}

const CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\v\\f\\r',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

/** The UTF-8 bytes of `s` as a string of code units 0-255 (what glibc's C locale sees). */
const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
/** One byte as a member of a RegExp character class. */
const member = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const NOTHING = '[^\\s\\S]';

/**
 * A bracket expression starting at p[i] === '['. Returns the RegExp class and the index after the
 * closing ']', `{ nothing }` when glibc fails every match through it (an unknown class, a range or
 * escape cut off by the end), or undefined when it is unterminated (then '[' is a literal and the
 * rest is read again as pattern).
 */
function bracket(p: string, i: number): { re: string; end: number } | { nothing: true } | undefined {
  let j = i + 1;
  const negate = p[j] === '!' || p[j] === '^';
  if (negate) j++;
  const parts: string[] = [];
  let first = true;
  for (;;) {
    if (j >= p.length) return undefined;
    let c = p[j]!;
    if (c === ']' && !first) {
      const set = parts.join('');
      if (set === '') return { re: negate ? '[\\s\\S]' : NOTHING, end: j + 1 };
      return { re: `[${negate ? '^' : ''}${set}]`, end: j + 1 };
    }
    first = false;
    j++;
    if (c === '\\') {
      if (j >= p.length) return { nothing: true };
      c = p[j++]!;
    } else if (c === '[' && p[j] === ':') {
      // [:name:], where name is letters a-y; anything else makes the '[' an ordinary member
      let k = j + 1;
      while (k < p.length && p[k]! >= 'a' && p[k]! < 'z') k++;
      if (p[k] === ':' && p[k + 1] === ']') {
        const cls = CLASSES[p.slice(j + 1, k)];
        if (cls === undefined) return { nothing: true };
        parts.push(cls);
        j = k + 2;
        continue;
      }
    } else if (c === '[' && p[j] === '=') {
      // [=c=] of one byte is c (and never starts a range); anything else makes '[' a member
      if (j + 2 < p.length && p[j + 2] === '=' && p[j + 3] === ']') {
        parts.push(member(p[j + 1]!));
        j += 4;
        continue;
      }
    } else if (c === '[' && p[j] === '.') {
      // [.c.] of one byte is c (the C locale has no longer collating elements)
      const close = p.indexOf('.]', j + 1);
      if (close < 0 || close !== j + 2) return { nothing: true };
      c = p[j + 1]!;
      j = close + 2;
      // glibc's quirk: before '-' and ']' ("[[.a.]-]") the symbol is neither a member nor a range
      if (p[j] === '-' && p[j + 1] === ']') continue;
    }
    // c is one member; a '-' after it that is not before ']' makes it a range's start (a '-' at
    // the very end makes glibc fail the match)
    if (p[j] === '-' && j + 1 >= p.length) return { nothing: true };
    if (p[j] === '-' && p[j + 1] !== ']') {
      let end = p[j + 1]!;
      j += 2;
      if (end === '\\') {
        if (j >= p.length) return { nothing: true };
        end = p[j++]!;
      } else if (end === '[' && p[j] === '.') {
        const close = p.indexOf('.]', j + 1);
        if (close < 0) return { nothing: true };
        if (close !== j + 2) return { nothing: true };
        end = p[j + 1]!;
        j = close + 2;
      }
      if (c <= end) parts.push(`${member(c)}-${member(end)}`);
      continue;
    }
    parts.push(member(c));
  }
}

/** The RegExp source of one segment pattern (over bytes), or undefined when it matches nothing. */
function compile(seg: string): string | undefined {
  const p = bytes(seg);
  let re = '';
  for (let i = 0; i < p.length; ) {
    const c = p[i]!;
    if (c === '*') {
      re += '[\\s\\S]*';
      i++;
    } else if (c === '?') {
      re += '[\\s\\S]';
      i++;
    } else if (c === '\\') {
      if (i + 1 >= p.length) return undefined; // trailing '\' loses
      re += member(p[i + 1]!);
      i += 2;
    } else if (c === '[') {
      const b = bracket(p, i);
      if (b === undefined) {
        re += member('[');
        i++;
      } else if ('nothing' in b) return undefined;
      else {
        re += b.re;
        i = b.end;
      }
    } else {
      re += member(c);
      i++;
    }
  }
  return re;
}

/**
 * A matcher for one glob segment (no '/'), with fnmatch(3)'s FNM_PERIOD: a leading '.' of the
 * name is matched only by a literal '.' (or '\.') in the pattern, never by '*', '?' or a set.
 */
export function segmentMatcher(seg: string): SegmentMatcher {
  const src = compile(seg);
  if (src === undefined) return { test: () => false };
  const literalDot = seg.startsWith('.') || seg.startsWith('\\.');
  const re = new RegExp(literalDot ? `^${src}$` : `^(?!\\.)${src}$`);
  return { test: (name: string) => re.test(bytes(name)) };
}

/** Same as {@link segmentMatcher} (kept for callers of the first version). */
export const segmentRegExp = segmentMatcher;

/**
 * True when the segment has glob magic, by glibc's rule (__glob_pattern_type): an unescaped '*'
 * or '?', or a '[' followed later by a ']'. Otherwise glob(3) looks the (unescaped) name up.
 */
export function isMagic(seg: string): boolean {
  let bracketOpen = false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*' || c === '?') return true;
    if (c === '\\') {
      if (i + 1 < seg.length) i++;
    } else if (c === '[') bracketOpen = true;
    else if (c === ']' && bracketOpen) return true;
  }
  return false;
}

/**
 * The name a segment without magic stands for: backslashes removed ('\x' is 'x'), or undefined
 * when it ends in a lone '\' (glob(3) then finds nothing).
 */
export function unescapeSegment(seg: string): string | undefined {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    if (seg[i] !== '\\') out += seg[i];
    else if (i + 1 < seg.length) out += seg[++i];
    else return undefined;
  }
  return out;
}

/** glibc's next_brace_sub: the index of the ',' or '}' that ends the alternative starting at i. */
function nextBraceSub(p: string, i: number): number | undefined {
  let depth = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if ((c === '}' && depth-- === 0) || (c === ',' && depth === 0)) return i;
    if (c === '{') depth++;
    i++;
  }
  return undefined;
}

/**
 * True when glob(3) with GLOB_BRACE would expand braces in `pattern`: its first unescaped '{'
 * starts a well-formed `{a,b}` (or `{a}`). A malformed one is matched literally by glob(3).
 */
export function hasBraceExpression(pattern: string): boolean {
  let i = 0;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '{') break;
  }
  if (i >= pattern.length) return false;
  let next = nextBraceSub(pattern, i + 1);
  while (next !== undefined && pattern[next] !== '}') next = nextBraceSub(pattern, next + 1);
  return next !== undefined;
}

/** Sorts paths the way glob(3) does in the C locale: by their bytes. */
export function sortLikeGlob(paths: string[]): string[] {
  return paths.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
