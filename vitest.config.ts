import { defineConfig } from 'vitest/config';

// Two projects: `unit` tests import the pure TypeScript modules directly; `integration`
// tests boot a real Strapi (one per file, in its own forked process, on its own temporary
// database and a free port) against the built plugin. Vitest 3 sizes one pool for every
// project from the root options (`fileParallelism` is not a project option), so files run
// side by side up to the root's worker count.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Multi-instance, crash and outage tests: child Strapi processes on a shared database.
        test: {
          name: 'scale',
          include: ['test/scale/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
