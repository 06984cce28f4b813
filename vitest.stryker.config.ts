// The tests StrykerJS runs against each mutant of src/checker/ (stryker.config.mjs): the
// checker's own unit tests, which drive it with hand-written traces and disks. They take
// seconds; the scenario and CLI tests (minutes, or child processes Stryker cannot see into)
// are left to `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/checker/**/*.test.ts'],
    // Seconds each, and many more through instrumented code, for every mutant they cover: the
    // memory bounds (600,000 messages) and the probes on whole catalog scenarios. `npm test`
    // runs them.
    exclude: ['test/checker/*-memory.test.ts', 'test/checker/coverage-scenarios.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
