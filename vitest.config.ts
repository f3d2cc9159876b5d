import { defineConfig } from 'vitest/config';

export default defineConfig({
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
