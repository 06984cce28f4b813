// Reports are written whole or not at all: into a temp file in the target's own folder (so the
// rename stays on one file system and is atomic), flushed to disk, then renamed over the target.
// A crash midway leaves at most a `*.tmp` file, which .gitignore ignores, never a half report.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

export function writeFileAtomic(path: string, text: string): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  // Writes are synchronous, so one (process, thread) has at most one temp file at a time: the
  // pair names it uniquely. 'w' rather than 'wx' so a leftover of a killed earlier run is reused.
  const temp = join(folder, `.${basename(path)}.${process.pid}-${threadId}.tmp`);
  try {
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
