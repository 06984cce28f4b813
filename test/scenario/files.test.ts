// Loading from disk: files and folders, and every way a path can be wrong. None of them throws.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatInputError, loadScenarioPaths } from '../../src/scenario/index.js';
import { MINIMAL } from './support.js';

let root = '';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ksim-scenario-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(relative: string, content: string | Uint8Array): string {
  const path = join(root, relative);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

describe('scenario: files', () => {
  it('scenario: files: a folder expands recursively to its *.yaml and *.yml files, sorted by path', () => {
    write('b.yaml', MINIMAL);
    write('a/z.yml', MINIMAL);
    write('a/y.yaml', MINIMAL);
    write('notes.txt', 'not a scenario');
    write('.hidden/x.yaml', 'not: [valid');
    const { scenarios, errors } = loadScenarioPaths([root]);
    expect(errors).toEqual([]);
    expect(scenarios.map((s) => s.file)).toEqual([join(root, 'a/y.yaml'), join(root, 'a/z.yml'), join(root, 'b.yaml')]);
    expect(scenarios.map((s) => s.scenario.name)).toEqual(['y', 'z', 'b']);
  });

  it('scenario: files: files given one by one keep their order, and one given twice loads once', () => {
    const second = write('second.yaml', MINIMAL);
    const first = write('first.yaml', MINIMAL);
    const { scenarios, errors } = loadScenarioPaths([second, first, root]);
    expect(errors).toEqual([]);
    expect(scenarios.map((s) => s.file)).toEqual([second, first]);
  });

  it('scenario: files: a missing path is an error, not a throw', () => {
    const missing = join(root, 'nope.yaml');
    const { scenarios, errors } = loadScenarioPaths([missing]);
    expect(scenarios).toEqual([]);
    expect(errors.map(formatInputError)).toEqual([`${missing}: expected a file or folder, found nothing at that path`]);
  });

  it('scenario: files: a folder with no scenario files is an error', () => {
    write('empty/readme.md', '# no scenarios here');
    const folder = join(root, 'empty');
    expect(loadScenarioPaths([folder]).errors.map(formatInputError)).toEqual([
      `${folder}: expected a folder with scenario files (*.yaml, *.yml), found none`,
    ]);
  });

  it('scenario: files: a folder named like a scenario file is walked, not read', () => {
    const inner = write('nested.yaml/real.yaml', MINIMAL);
    const { scenarios, errors } = loadScenarioPaths([join(root, 'nested.yaml')]);
    expect(errors).toEqual([]);
    expect(scenarios.map((s) => s.file)).toEqual([inner]);
  });

  it('scenario: files: a symbolic link loop in a folder does not recurse forever', () => {
    write('loop/s.yaml', MINIMAL);
    symlinkSync(join(root, 'loop'), join(root, 'loop', 'again'));
    const { scenarios, errors } = loadScenarioPaths([join(root, 'loop')]);
    expect(errors).toEqual([]);
    expect(scenarios).toHaveLength(1);
  });

  it('scenario: files: a 50 MB file is rejected by its size, without being read', () => {
    const huge = join(root, 'huge.yaml');
    closeSync(openSync(huge, 'w'));
    truncateSync(huge, 50 * 1024 * 1024); // sparse: takes no disk space
    const started = performance.now();
    const { errors } = loadScenarioPaths([huge]);
    // Reading and parsing 50 MB would take far longer than this.
    expect(performance.now() - started).toBeLessThan(500);
    expect(errors.map(formatInputError)).toEqual([`${huge}: expected a scenario file of at most 1 MiB, found 50.0 MiB`]);
  });

  it('scenario: files: binary content is rejected at the first NUL byte', () => {
    const file = write('bin.yaml', Buffer.from([0x63, 0x3a, 0x0a, 0x20, 0x00, 0xff, 0x01]));
    expect(loadScenarioPaths([file]).errors.map(formatInputError)).toEqual([`${file}:2:2: expected UTF-8 text, found a NUL byte (binary data)`]);
  });

  it('scenario: files: invalid UTF-8 is rejected at the bad byte', () => {
    const bytes = Buffer.concat([Buffer.from('cluster:\n  brokers: 3 # é\n  kafka: "'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]);
    const file = write('latin.yaml', bytes);
    expect(loadScenarioPaths([file]).errors.map(formatInputError)).toEqual([`${file}:3:11: expected UTF-8 text, found the byte 0xc3, which is not UTF-8`]);
  });

  it('scenario: files: two scenarios with the same name are an error at the second one\'s name', () => {
    const a = write('a.yaml', `name: same\n${MINIMAL}`);
    const b = write('b.yaml', `# the twin\nname: same\n${MINIMAL}`);
    const { scenarios, errors } = loadScenarioPaths([a, b]);
    expect(scenarios.map((s) => s.file)).toEqual([a]);
    expect(errors.map(formatInputError)).toEqual([`${b}:2:7: name: expected a scenario name used by no other file, found "same", also the name of ${a}`]);
  });

  it('scenario: files: two files whose names default to the same name are told apart by a hint', () => {
    const a = write('x/s.yaml', MINIMAL);
    const b = write('y/s.yml', MINIMAL);
    const { errors } = loadScenarioPaths([root]);
    expect(errors.map(formatInputError)).toEqual([
      `${b}: expected a scenario name used by no other file, found "s", also the name of ${a} (the name comes from the file name; set name: to tell them apart)`,
    ]);
  });

  it('scenario: files: errors of several files are all collected', () => {
    write('ok.yaml', MINIMAL);
    const bad = write('bad.yaml', 'cluster: { brokers: 0 }\nnmae: x\n');
    const missing = join(root, 'missing');
    const { scenarios, errors } = loadScenarioPaths([root, missing]);
    expect(scenarios).toHaveLength(1);
    expect(errors.map((e) => [e.file, e.line])).toEqual([[bad, 1], [bad, 2], [missing, null]]);
  });
});
