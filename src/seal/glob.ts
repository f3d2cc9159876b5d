// glob(3) matching of one path segment, for globs the seal engine resolves from cached
// directory listings instead of a glob_expand round trip.

/** A RegExp for one glob segment: `*`, `?`, `[...]` (with `!` negation); no leading-dot match. */
export function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = seg.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        re += `[${seg.slice(i + 1, j).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  // glob(3): a wildcard never matches a leading dot unless the pattern starts with one.
  return new RegExp(seg.startsWith('.') ? `^${re}$` : `^(?!\\.)${re}$`);
}

/** True when the segment has glob magic. */
export function isMagic(seg: string): boolean {
  return /[*?[]/.test(seg);
}
