import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';

/**
 * File access inside a directory a sandboxed process could write (its HOME, its workspace),
 * done by the worker outside the sandbox: no path component may be a symbolic link and the
 * final open does not follow one, so a link planted inside never sends the worker elsewhere.
 */
export class UnsafePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

/** `rel` as a normalised relative path that stays inside its root (throws otherwise). */
export function insidePath(rel: string): string {
  if (rel.includes('\0')) throw new UnsafePathError('a path may not contain NUL');
  if (isAbsolute(rel)) throw new UnsafePathError(`${rel}: an absolute path leads outside`);
  const n = normalize(rel);
  if (n === '..' || n.startsWith(`..${sep}`) || n === '.' || n === '')
    throw new UnsafePathError(`${rel}: leads outside`);
  return n;
}

/** Checks that every directory from `root` down to the parent of `rel` is a real directory. */
function checkParents(
  root: string,
  rel: string,
  create: boolean,
  mode: number,
  owner?: { uid: number; gid: number },
): void {
  const parts = rel.split(sep).slice(0, -1);
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(cur);
    } catch {
      st = undefined;
    }
    if (!st) {
      if (!create) throw new UnsafePathError(`${relative(root, cur)}: does not exist`);
      mkdirSync(cur, { mode });
      if (owner) lchownSync(cur, owner.uid, owner.gid);
      continue;
    }
    if (st.isSymbolicLink())
      throw new UnsafePathError(`${relative(root, cur)}: is a symbolic link`);
    if (!st.isDirectory()) throw new UnsafePathError(`${relative(root, cur)}: is not a directory`);
  }
}

/** Reads a regular file under `root`; undefined when it is missing, larger than `maxBytes`, or not a plain file. */
export function readInside(
  root: string,
  rel: string,
  maxBytes: number,
): { data: Buffer } | 'missing' | 'too-large' | 'not-a-file' {
  const r = insidePath(rel);
  try {
    checkParents(root, r, false, 0o700);
  } catch (err) {
    if (err instanceof UnsafePathError && /does not exist/.test(err.message)) return 'missing';
    throw err;
  }
  let fd: number;
  try {
    fd = openSync(join(root, r), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ELOOP') return 'not-a-file';
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return 'not-a-file';
    if (st.size > maxBytes) return 'too-large';
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return { data: buf.subarray(0, off) };
  } finally {
    closeSync(fd);
  }
}

/** Writes a new file under `root` (its missing directories created), never through a link. */
export function writeInside(
  root: string,
  rel: string,
  data: Buffer | string,
  o: { mode?: number; dirMode?: number; owner?: { uid: number; gid: number } | undefined } = {},
): void {
  const r = insidePath(rel);
  checkParents(root, r, true, o.dirMode ?? 0o700, o.owner);
  const fd = openSync(
    join(root, r),
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    o.mode ?? 0o600,
  );
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (o.owner) fchownSync(fd, o.owner.uid, o.owner.gid);
  } finally {
    closeSync(fd);
  }
}
