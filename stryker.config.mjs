// Mutation testing of the checker, the judge of every verdict: `npm run stryker`.
// Mutates src/checker/ only and runs the tests of vitest.stryker.config.ts (test/checker/)
// against each mutant, only those that cover it (perTest). Two workers: the machine has two
// cores. Reports: reports/stryker/ (index.html, mutation.json) and a table on the terminal.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/checker/**/*.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/stryker/index.html' },
  jsonReporter: { fileName: 'reports/stryker/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: 'reports/stryker/.tmp',
  cleanTempDir: true,
  thresholds: { high: 90, low: 75, break: null },
};
