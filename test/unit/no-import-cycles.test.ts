// No import cycles in src/: every relative import (value and type-only, static, re-exports and
// dynamic import()) is an edge, and the graph must be acyclic. A cycle is printed file by file.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(n) && !/\.d\.ts$/.test(n) ? [p] : [];
  });
}

// `import … from '…'`, `import type …`, `export … from '…'`, `import '…'`, `import('…')`.
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of `file`, resolved to .ts files (comments stripped first). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    const found = [target, `${target}.ts`, join(target, 'index.ts')].find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (found && found.endsWith('.ts')) out.push(found);
  }
  return out;
}

/** Every elementary cycle reachable by DFS, each reported once (as the first back edge found). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

describe('src/ import graph', () => {
  it('finds the imports it is meant to (the parser itself)', () => {
    const f = join(SRC, 'x.ts');
    const text = [
      "import { a } from './errors.js';",
      "import type { B } from './native.js';",
      "export { c } from './args.js';",
      "export type { D } from './events.js';",
      "import './core.js';",
      "const m = await import('./kvm.js');",
      "// import { z } from './domain.js';",
      "import { readFileSync } from 'node:fs';",
      'import {\n  e,\n  type F,\n} from "./storage.js";',
    ].join('\n');
    expect(importsOf(f, text).map((p) => relative(SRC, p)).sort()).toEqual(['args.ts', 'core.ts', 'errors.ts', 'events.ts', 'kvm.ts', 'native.ts', 'storage.ts']);
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('has no cycle', () => {
    const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]));
    expect(graph.size).toBeGreaterThan(50);
    const cycles = findCycles(graph).map((c) => c.map((p) => relative(SRC, p)).join(' -> '));
    if (cycles.length > 0) console.log(`import cycles in src/:\n  ${cycles.join('\n  ')}`);
    expect(cycles).toEqual([]);
  });
});
