// The package version, read from package.json (dist/cli.js and src/cli/main.ts sit at
// different depths, so walk up to the first package.json named virtkit).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'virtkit') return pkg.version ?? '0.0.0';
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
