// The scenario loader's public surface: load scenario texts or files and folders, and print
// what was wrong with them. Nothing here throws for bad input; every problem is an InputError.
export { loadScenarioText } from './loader.js';
export { loadScenarioPaths } from './files.js';
export { formatInputError } from './format.js';
export type * from './types.js';
