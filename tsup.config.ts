import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  target: 'node20',
  platform: 'node',
  shims: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  // src/firstboot/firstboot.sh is bundled as text (the same loader as vitest.config.ts).
  loader: { '.sh': 'text' },
});
