// The YAML side of the loader: parse with positions, report syntax problems where they are, and
// map a field's path back to the line and column of its node, so every later error can say
// `file:line:column`.
import { isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Alias, type Document, type Node, type YAMLError } from 'yaml';
import { describeValue, inputError, type PathSegment, type Position } from './format.js';
import { LineIndex } from './positions.js';
import type { InputError } from './types.js';

/** Anchors may be reused this many times in total; more is a billion-laughs expansion. */
const MAX_ALIAS_COUNT = 100;

export interface Source {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lines: LineIndex;
}

export type ParsedSource =
  | { readonly ok: true; readonly source: Source; readonly data: unknown }
  | { readonly ok: false; readonly errors: InputError[] };

const SCENARIO_MAP = 'a map of scenario settings (name, cluster, topics, ...)';

export function parseSource(text: string, file: string): ParsedSource {
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    // Keys like `1:` read as "1"; a list or map used as a key is an error.
    stringKeys: true,
    // 'silent' would also drop the error for a second document in the file.
    logLevel: 'error',
  });
  const source: Source = { file, text, doc, lines: new LineIndex(text) };
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) return { ok: false, errors: problems.map((p) => syntaxError(source, p)) };
  const contents = doc.contents;
  if (contents === null) {
    const found = text.trim() === '' ? 'an empty file' : 'a file with only comments';
    return { ok: false, errors: [inputError(file, { line: 1, column: 1 }, '', SCENARIO_MAP, found)] };
  }
  if (!isMap(contents)) {
    const found = isSeq(contents) ? 'a list' : describeValue(isScalar(contents) ? contents.value : undefined);
    return { ok: false, errors: [inputError(file, startOf(source, contents), '', SCENARIO_MAP, found)] };
  }
  return toData(source);
}

function toData(source: Source): ParsedSource {
  try {
    return { ok: true, source, data: source.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    // toJS throws for an alias with no anchor and for excessive alias expansion.
    return { ok: false, errors: [aliasError(source, error)] };
  }
}

function aliasError(source: Source, error: unknown): InputError {
  const aliases: Alias[] = [];
  visit(source.doc, { Alias: (_, alias) => void aliases.push(alias) });
  const unresolved = aliases.find((alias) => alias.resolve(source.doc) === undefined);
  const at = unresolved ?? aliases[0];
  const position = at === undefined ? null : startOf(source, at);
  const path = at === undefined ? [] : pathAtOffset(source, rangeOf(at)[0]);
  if (unresolved !== undefined) {
    return inputError(source.file, position, path, 'an alias to an anchor defined above it', 'an unknown alias');
  }
  const hint = error instanceof Error && error.message.startsWith('Excessive') ? 'aliases of aliases grow exponentially' : null;
  return inputError(source.file, position, path, `at most ${MAX_ALIAS_COUNT} alias expansions`, 'more', hint);
}

/** What a YAML problem means to a scenario author; others read "expected valid YAML". */
const SYNTAX_EXPECTED: Partial<Record<YAMLError['code'], string>> = {
  DUPLICATE_KEY: 'each key at most once in a map',
  TAB_AS_INDENT: 'indentation with spaces',
  MULTIPLE_DOCS: 'one YAML document per file',
  NON_STRING_KEY: 'a plain key',
  KEY_OVER_1024_CHARS: 'a key of at most 1024 characters',
  TAG_RESOLVE_FAILED: 'a value without a custom tag',
};

function syntaxError(source: Source, problem: YAMLError): InputError {
  const offset = Math.min(problem.pos[0], source.text.length);
  const position = positionAt(source, offset);
  const sameColumn = problem.code === 'BAD_INDENT' && problem.message.includes('same column');
  const expected = sameColumn ? 'the keys of a map at the same column' : (SYNTAX_EXPECTED[problem.code] ?? 'valid YAML');
  switch (problem.code) {
    case 'DUPLICATE_KEY': {
      // The only syntax error whose path is sure: the key's own.
      const key = JSON.stringify(keyTextAt(source.text, offset));
      return inputError(source.file, position, pathAtOffset(source, offset), expected, `${key} again`);
    }
    case 'TAB_AS_INDENT':
      return inputError(source.file, position, '', expected, 'a tab');
    case 'MULTIPLE_DOCS':
      return inputError(source.file, position, '', expected, 'a second document after "---"');
    default:
      return inputError(source.file, position, '', expected, snippetAt(source.text, offset), yamlMessage(problem));
  }
}

/** yaml's own explanation, first line only, as a hint ("missing closing 'quote"). */
function yamlMessage(problem: YAMLError): string {
  const first = problem.message.split('\n')[0] ?? problem.message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function keyTextAt(text: string, offset: number): string {
  return (/^[^:\n,}]*/.exec(text.slice(offset))?.[0] ?? '').trim();
}

function snippetAt(text: string, offset: number): string {
  if (offset >= text.length || text.slice(offset).trim() === '') return 'the end of the file';
  const line = text.slice(offset).split('\n')[0] ?? '';
  return line.trim() === '' ? 'a line break' : describeValue(line.trimEnd());
}

export function positionAt(source: Source, offset: number): Position {
  return source.lines.positionAt(offset);
}

function rangeOf(node: Node): readonly [number, number, number] {
  return node.range ?? [0, 0, 0];
}

function startOf(source: Source, node: Node): Position {
  return positionAt(source, rangeOf(node)[0]);
}

function follow(source: Source, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(source.doc) ?? node) : node;
}

/**
 * The line and column of the node at `path`: its value, or with `key` its key. A path that
 * stops early (a missing key) gives the deepest node that exists: the map that lacks the key.
 * An empty value (`key:`) points at its key, since the value has no text of its own.
 */
export function locate(source: Source, path: readonly PathSegment[], key = false): Position {
  let node: unknown = source.doc.contents;
  let keyNode: Node | null = null;
  for (const [index, segment] of path.entries()) {
    node = follow(source, node);
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      if (last && key && isScalar(pair.key)) return startOf(source, pair.key);
      keyNode = isScalar(pair.key) ? pair.key : null;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      keyNode = null;
    } else break;
  }
  const empty = isScalar(node) && node.value === null && rangeOf(node)[0] === rangeOf(node)[1];
  if (empty && keyNode !== null) return startOf(source, keyNode);
  return isNode(node) ? startOf(source, node) : { line: 1, column: 1 };
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value) || isAlias(value);
}

/** The path of the deepest node containing `offset`, for errors found by the YAML parser. */
export function pathAtOffset(source: Source, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = source.doc.contents;
  const contains = (n: unknown) => isNode(n) && rangeOf(n)[0] <= offset && offset <= rangeOf(n)[2];
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => contains(p.key) || contains(p.value));
      if (pair === undefined || !isScalar(pair.key)) return path;
      path.push(String(pair.key.value));
      if (!contains(pair.value)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex(contains);
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else return path;
  }
}
