// xmldom 0.9 builds a new Unicode RegExp from its grammar for every end tag it parses
// (`g.reg('^', g.QName_group, ...)` in lib/sax.js), which was most of the time a deploy spends
// parsing domain XML (measured: ~0.7 ms for a 1.2 KB document, over half of it compiling the same
// patterns again). The grammar's combinators are pure and their results carry no `g`/`y` state,
// so they are memoized here, once per process, on the very module object sax.js calls through.
import { createRequire } from 'node:module';

type Combinator = (this: unknown, ...parts: (string | RegExp)[]) => RegExp;
interface Grammar { reg: Combinator; regg: Combinator; __virtkitMemo?: true }

// The grammar's parts are a few constant RegExp objects: keyed by identity, not by their (long) source.
const ids = new WeakMap<RegExp, number>();
let nextId = 0;
const idOf = (r: RegExp): number => {
  let id = ids.get(r);
  if (id === undefined) ids.set(r, (id = nextId++));
  return id;
};

function memoize(orig: Combinator): Combinator {
  const cache = new Map<string, RegExp>();
  return function (this: unknown, ...parts: (string | RegExp)[]): RegExp {
    let key = this === undefined ? 'u' : 'b';
    for (const p of parts) {
      if (typeof p === 'string') key += `\u0000s${p}`;
      else if (p instanceof RegExp) key += `\u0000r${idOf(p)}`;
      else return orig.apply(this, parts); // not something the grammar combines: no caching
    }
    let r = cache.get(key);
    if (!r) {
      r = orig.apply(this, parts);
      if (r.global || r.sticky) return r; // stateful: never shared
      if (cache.size < 256) cache.set(key, r);
    }
    return r;
  };
}

// Every element and attribute name is tested against these full-Unicode patterns two or three
// times (sax and createElementNS), a third of a parse. A name of ASCII name characters is tested
// by an ASCII pattern first: what it accepts the full pattern accepts too (the same productions,
// restricted to ASCII), and anything else still goes to the full pattern, so results are unchanged.
const NC = '[A-Z_a-z][-.0-9A-Z_a-z]*';
const ASCII_NAMES: Record<string, RegExp> = {
  Name_exact: /^[:A-Z_a-z][-.0-9:A-Z_a-z]*$/,
  NCName_exact: new RegExp(`^${NC}$`),
  QName_exact: new RegExp(`^${NC}(?::${NC})?$`),
};

function asciiFirst(g: Record<string, unknown>): void {
  for (const [name, ascii] of Object.entries(ASCII_NAMES)) {
    const full = g[name];
    if (!(full instanceof RegExp) || full.global || full.sticky) continue;
    const test = full.test.bind(full);
    Object.defineProperty(full, 'test', { value: (s: string) => ascii.test(s) || test(s), configurable: true, writable: true });
  }
}

try {
  const g = createRequire(import.meta.url)('@xmldom/xmldom/lib/grammar.js') as Grammar;
  if (!g.__virtkitMemo && typeof g.reg === 'function' && typeof g.regg === 'function') {
    const reg = memoize(g.reg);
    g.reg = reg;
    g.regg = memoize(g.regg);
    asciiFirst(g as unknown as Record<string, unknown>);
    g.__virtkitMemo = true;
  }
} catch {
  // Another xmldom layout: parse as it comes (slower, same result).
}
