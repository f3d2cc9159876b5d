import { defineConfig } from 'vitest/config';

// `.sh` files import as their text, as tsup's loader does for dist/ (src/firstboot/script.ts).
const shellText = {
  name: 'virtkit-sh-text',
  transform(code: string, id: string) {
    return id.endsWith('.sh') ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
  },
};

export default defineConfig({
  plugins: [shellText],
  test: {
    // One fork per file, files run one after another: integration files share one libvirtd and
    // appliance launches are heavy on 2 cores.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
