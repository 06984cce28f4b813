// One scenario text → a validated, normalized scenario, or every error found in it. The steps:
// raw text checks, YAML parse (syntax errors stop here: the tree is not worth validating),
// schema validation and cross-field checks (both always run, so all errors come out together),
// then normalization when nothing was wrong.
import { inputError, sortErrors, type Position } from './format.js';
import { issuesToErrors } from './issues.js';
import { crossChecks } from './checks.js';
import { normalize } from './normalize.js';
import { runnableFindings } from './runnable.js';
import { scenarioSchema } from './schema.js';
import type { InputError, LoadedScenario } from './types.js';
import { positionInText } from './positions.js';
import { locate, parseSource } from './yaml-source.js';

/** Larger than any hand-written scenario; a bigger file is something else. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

export type LoadResult = { ok: true; value: LoadedScenario } | { ok: false; errors: InputError[] };

/** Also where the file's `name:` is, so a duplicate name across files can be pointed at. */
export type SourceLoadResult =
  | { ok: true; value: LoadedScenario; namePosition: Position | null }
  | { ok: false; errors: InputError[] };

export function loadScenarioText(text: string, file: string): LoadResult {
  const result = loadScenarioSource(text, file);
  return result.ok ? { ok: true, value: result.value } : result;
}

export function loadScenarioSource(text: string, file: string): SourceLoadResult {
  try {
    return load(text, file);
  } catch (error) {
    // Unreachable unless the loader has a bug; bad input must still never crash the caller.
    const message = error instanceof Error ? error.message : String(error);
    const found = `an internal error: ${message}`;
    return { ok: false, errors: [inputError(file, null, '', 'a scenario the loader can read', found, 'please report this as a ksim bug')] };
  }
}

function load(text: string, file: string): SourceLoadResult {
  const textErrors = checkText(text, file);
  if (textErrors.length > 0) return { ok: false, errors: textErrors };
  const parsed = parseSource(text, file);
  if (!parsed.ok) return { ok: false, errors: sortErrors(parsed.errors) };
  const { source, data } = parsed;
  const validated = scenarioSchema.safeParse(data, { reportInput: true });
  const errors = [
    ...(validated.success ? [] : issuesToErrors(source, scenarioSchema, data, validated.error.issues)),
    ...crossChecks(source, data),
  ];
  if (!validated.success || errors.length > 0) return { ok: false, errors: sortErrors(errors) };
  const scenario = normalize(validated.data, file, (path) => locate(source, path).line);
  const refused = runnableFindings(scenario).map((f) => inputError(file, locate(source, f.path, f.key), f.path, f.expected, f.found, f.hint));
  if (refused.length > 0) return { ok: false, errors: sortErrors(refused) };
  const hasName = validated.data.name !== undefined;
  return { ok: true, value: { file, text, scenario }, namePosition: hasName ? locate(source, ['name']) : null };
}

/** Problems of the text itself, before YAML: too large, or binary. */
function checkText(text: string, file: string): InputError[] {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SCENARIO_BYTES) return [inputError(file, null, '', 'a scenario file of at most 1 MiB', formatBytes(bytes))];
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return [inputError(file, positionInText(text, nul), '', 'a text file', 'a NUL byte (binary data)')];
  return [];
}

/** Exact bytes near the limit (where "1.0 MiB" would read as within it), MiB beyond. */
export function formatBytes(bytes: number): string {
  return bytes >= 10 * MAX_SCENARIO_BYTES ? `${(bytes / MAX_SCENARIO_BYTES).toFixed(1)} MiB` : `${bytes} bytes`;
}
