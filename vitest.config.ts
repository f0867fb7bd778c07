import { defineConfig } from 'vitest/config';

// Forks, not threads: each test file gets its own process, so a wasm backend or a
// MuJoCo module never leaks state into another file. Two workers for the two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
