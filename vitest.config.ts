import { defineConfig } from 'vitest/config';

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
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // The e2e tests share one local control plane; run the files one after another
          // so that timings and quota use stay predictable on a 2-core machine.
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 240_000,
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
      // The fault tests restart the API server of a control plane of their own: only with
      // `npm run test:faults` (KE_FAULTS=1), never in `npm test`.
      ...(process.env.KE_FAULTS === '1'
        ? [
            {
              test: {
                name: 'faults',
                include: ['test/faults/**/*.test.ts'],
                environment: 'node',
                fileParallelism: false,
                testTimeout: 420_000,
                hookTimeout: 240_000,
                globalSetup: ['test/faults/global-setup.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
