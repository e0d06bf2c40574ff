import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'suites/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // tests never read or fill the user's oracle cache; those that test the cache name their own folder
    env: { ACCELCERT_CACHE: 'off' },
  },
});
