import { defineConfig } from 'vitest/config';

export const config = defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // CI logs every test name, so the log shows each store suite ran on SQLite and PostgreSQL.
    reporters: process.env.CI === 'true' ? ['verbose'] : ['default'],
  },
});

// Vitest loads the default export of its config file.
// biome-ignore lint/style/noDefaultExport: required by Vitest
export default config;
