// Node module hooks that import `.sh` files as their text, as tsup's loader does for dist/ and
// vitest.config.ts for the tests: for running src/ directly,
//   npx tsx --import ./scripts/text-hooks.mjs examples/tour.ts
//   node --import tsx --import ./scripts/text-hooks.mjs bench/lifetime.bench.ts
import { isMainThread } from 'node:worker_threads';
import { register } from 'node:module';
import { readFile } from 'node:fs/promises';

/** The load hook (runs on Node's hooks thread). */
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.sh')) return next(url, context);
  const text = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}

// Imported with --import on the main thread: register this file as the hooks module.
if (isMainThread) register(import.meta.url);
