// Znode paths. A bad path is a programming error in the caller, thrown at once, as ZooKeeper's
// client does (PathUtils.validatePath throws IllegalArgumentException before anything is sent).

/** Throws unless `path` is a valid absolute znode path (for a sequential create, `path` + a digit is checked). */
export function validatePath(path: string, isSequential = false): void {
  const checked = isSequential ? `${path}1` : path;
  const why = pathProblem(checked);
  if (why !== null) throw new Error(`zookeeper: invalid path "${path}": ${why}`);
}

// PathUtils.validatePath (ZooKeeper 3.8), check for check; "/" alone is the root.
function pathProblem(path: string): string | null {
  if (path.length === 0) return 'path length must be > 0';
  if (path[0] !== '/') return 'path must start with / character';
  if (path.length === 1) return null;
  if (path.endsWith('/')) return 'path must not end with / character';
  if (path.includes('\u0000')) return 'null character not allowed';
  for (const name of path.slice(1).split('/')) {
    if (name.length === 0) return 'empty node name specified';
    if (name === '.' || name === '..') return 'relative paths not allowed';
  }
  for (let i = 1; i < path.length; i++) {
    if (invalidChar(path.charCodeAt(i))) return `invalid character @${i}`;
  }
  return null;
}

/** Control characters and the ranges PathUtils refuses (\u0001-\u001f, \u007f-\u009f, \ud800-\uf8ff, \ufff0-\uffff). */
function invalidChar(c: number): boolean {
  return (c > 0x00 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0;
}

/** The parent of a valid path other than the root: `/a/b` → `/a`, `/a` → `/`. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** The last name of a valid path: `/a/b` → `b`. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** ZooKeeper's sequential suffix: the parent's cversion, zero-padded to 10 digits (PrepRequestProcessor, "%010d"). */
export function sequentialName(path: string, parentCversion: number): string {
  return path + String(parentCversion).padStart(10, '0');
}
