import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { chownTree } from './bubblewrap.js';
import { diskUsage } from './disk-usage.js';
import { git, RepositoryError, type RepositorySource } from './git.js';

/**
 * Task workspaces: one directory per task under a root (kept for its retries and resumes),
 * either empty or a fresh clone of a team repository at a ref. What the task left there is
 * read back without trusting it: the diff comes from a bare copy of the repository that the
 * sandbox never sees, and no link inside is ever followed.
 *
 *   <root>/<task id>/work       the workspace (bound at /workspace)
 *   <root>/<task id>/base.git   the repository as cloned (repository workspaces)
 *   <root>/<task id>/meta.json  what it was made from
 */
export interface WorkspaceMeta {
  taskId: string;
  createdAt: string;
  repository?: { name: string; source: string; ref: string; commit: string } | undefined;
}

export interface Workspace {
  /** The directory the task works in. */
  path: string;
  meta: WorkspaceMeta;
  /** False when an earlier attempt already made it (a retry or a resume). */
  created: boolean;
}

export interface WorkspaceFile {
  path: string;
  status: 'added' | 'modified' | 'deleted';
  size: number;
  type: 'file' | 'symlink' | 'dir';
}

export interface WorkspaceSnapshot {
  sizeBytes: number;
  fileCount: number;
  /** Created, changed and deleted files (at most `maxFiles`). */
  files: WorkspaceFile[];
  filesTruncated: boolean;
  /** Unified diff against the cloned commit (repository workspaces). */
  diff?: string | undefined;
  diffTruncated: boolean;
  /** The workspace as .tar.gz (without .git), when it fits `maxArchiveBytes`. */
  archive?: Buffer | undefined;
  archiveNote?: string | undefined;
}

export interface WorkspacesOptions {
  /** Where workspaces live (created 0700). */
  root: string;
  /** Owner of a workspace's files (the sandbox's host user), when this process is root. */
  owner?: { uid: number; gid: number } | undefined;
}

export interface Workspaces {
  readonly root: string;
  /** The task's workspace: made on its first attempt, the same directory afterwards. */
  prepare(
    taskId: string,
    repository?: { name: string; source: RepositorySource; ref: string } | undefined,
    o?: { signal?: AbortSignal },
  ): Promise<Workspace>;
  /** What is in it now: sizes, changed files, the diff and an archive. */
  snapshot(
    taskId: string,
    o?: { maxFiles?: number; maxDiffBytes?: number; maxArchiveBytes?: number },
  ): Promise<WorkspaceSnapshot>;
  /** Task ids with a workspace on this disk. */
  list(): string[];
  remove(taskId: string): void;
}

const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function taskDir(root: string, taskId: string): string {
  if (!TASK_ID.test(taskId)) throw new Error(`not a task id: ${taskId}`);
  return join(root, taskId.toLowerCase());
}

/** Every entry of a tree, walked with lstat (links are listed, never followed). */
function walk(root: string, skip: (rel: string) => boolean): Array<{ rel: string; st: Stats }> {
  const out: Array<{ rel: string; st: Stats }> = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      continue;
    }
    if (names.length === 0 && rel) out.push({ rel, st: lstatSync(join(root, rel)) });
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      if (skip(r)) continue;
      let st: Stats;
      try {
        st = lstatSync(join(root, r));
      } catch {
        continue;
      }
      if (st.isDirectory()) stack.push(r);
      else out.push({ rel: r, st });
    }
  }
  return out;
}

const typeOf = (st: Stats): WorkspaceFile['type'] =>
  st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';

async function tarGz(dir: string, max: number): Promise<{ archive?: Buffer; note?: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > max) {
        over = true;
        cb(new Error('archive limit'));
        return;
      }
      chunks.push(chunk);
      cb();
    },
  });
  try {
    await pipeline(
      tar.create(
        {
          gzip: true,
          cwd: dir,
          portable: true,
          follow: false,
          // Only plain files, directories and links; never the repository's own .git.
          filter: (p, st) => {
            const rel = p.replace(/^\.\//, '');
            if (rel === '.git' || rel.startsWith('.git/')) return false;
            const s = st as {
              isFile?: () => boolean;
              isDirectory?: () => boolean;
              isSymbolicLink?: () => boolean;
            };
            return Boolean(s.isFile?.() || s.isDirectory?.() || s.isSymbolicLink?.());
          },
        },
        ['.'],
      ),
      sink,
    );
  } catch (err) {
    if (over)
      return {
        note: `the workspace is larger than the ${Math.round(max / 2 ** 20)} MiB archive limit`,
      };
    return { note: `the archive could not be made: ${(err as Error).message}` };
  }
  return { archive: Buffer.concat(chunks) };
}

export function createWorkspaces(o: WorkspacesOptions): Workspaces {
  mkdirSync(o.root, { recursive: true, mode: 0o700 });
  const root = realpathSync(o.root);
  // The sandbox's host user must reach <root>/<task>/work (and nothing else there): the root and
  // the task folders are searchable but not readable by others, each work folder is its alone.
  if (o.owner) chmodSync(root, 0o711);
  const dirMode = o.owner ? 0o711 : 0o700;

  return {
    root,
    async prepare(taskId, repository, po = {}) {
      const dir = taskDir(root, taskId);
      const work = join(dir, 'work');
      const metaFile = join(dir, 'meta.json');
      if (existsSync(metaFile) && existsSync(work)) {
        const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as WorkspaceMeta;
        const st = lstatSync(work);
        if (!st.isDirectory()) throw new Error(`workspace of task ${taskId} is not a directory`);
        return { path: work, meta, created: false };
      }
      // A half-made one (a worker died while cloning) is made again.
      rmSync(dir, { recursive: true, force: true });
      const tmp = join(root, `.new-${randomUUID()}`);
      mkdirSync(tmp, { mode: 0o700 });
      try {
        const meta: WorkspaceMeta = { taskId, createdAt: new Date().toISOString() };
        const tmpWork = join(tmp, 'work');
        if (repository) {
          const base = join(tmp, 'base.git');
          const src = repository.source.location;
          const safe = ['-c', 'safe.directory=*'];
          try {
            await git([...safe, 'clone', '--bare', '--no-local', '--quiet', '--', src, base], {
              timeoutMs: 600_000,
              signal: po.signal,
            });
          } catch (err) {
            throw new RepositoryError(
              'source',
              `cloning ${repository.name} failed: ${(err as Error).message}`,
            );
          }
          let commit: string;
          try {
            commit = (
              await git([
                '--git-dir',
                base,
                'rev-parse',
                '--verify',
                '--quiet',
                `${repository.ref}^{commit}`,
              ])
            ).stdout
              .toString('utf8')
              .trim();
          } catch {
            throw new RepositoryError('ref', `no ref "${repository.ref}" in ${repository.name}`);
          }
          await git(
            [...safe, 'clone', '--no-local', '--quiet', '--no-checkout', '--', base, tmpWork],
            {
              timeoutMs: 600_000,
              signal: po.signal,
            },
          );
          const isBranch = await git([
            '--git-dir',
            base,
            'show-ref',
            '--verify',
            '--quiet',
            `refs/heads/${repository.ref}`,
          ])
            .then(() => true)
            .catch(() => false);
          await git(
            isBranch
              ? ['checkout', '--quiet', '-B', repository.ref, commit]
              : ['checkout', '--quiet', '--detach', commit],
            { cwd: tmpWork },
          );
          // The task sees where it came from, not this worker's copy.
          await git(
            [
              'remote',
              'set-url',
              'origin',
              repository.source.kind === 'url' ? src : repository.name,
            ],
            {
              cwd: tmpWork,
            },
          );
          meta.repository = { name: repository.name, source: src, ref: repository.ref, commit };
        } else {
          mkdirSync(tmpWork, { mode: 0o755 });
        }
        writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta), { mode: 0o600 });
        if (o.owner) {
          chownTree(tmpWork, o.owner.uid, o.owner.gid);
          chmodSync(tmpWork, 0o700);
        }
        chmodSync(tmp, dirMode);
        // Appears whole or not at all.
        renameSync(tmp, dir);
        return { path: join(dir, 'work'), meta, created: true };
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      }
    },

    async snapshot(taskId, so = {}) {
      const maxFiles = so.maxFiles ?? 5000;
      const maxDiff = so.maxDiffBytes ?? 2 ** 20;
      const maxArchive = so.maxArchiveBytes ?? 32 * 2 ** 20;
      const dir = taskDir(root, taskId);
      const work = join(dir, 'work');
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as WorkspaceMeta;
      const usage = await diskUsage([work]);
      const files: WorkspaceFile[] = [];
      let diff: string | undefined;
      let diffTruncated = false;
      if (meta.repository) {
        const base = join(dir, 'base.git');
        const index = join(dir, `index-${randomUUID()}`);
        // The trusted copy's view of the work tree; the work tree's own .git is never read.
        const env = { GIT_DIR: base, GIT_WORK_TREE: work, GIT_INDEX_FILE: index };
        const g = (args: string[], maxBuffer?: number) =>
          git(['--git-dir', base, '--work-tree', work, ...args], { env, cwd: work, maxBuffer });
        try {
          await g(['read-tree', meta.repository.commit]);
          const others = (await g(['ls-files', '-z', '--others', '--exclude-standard'])).stdout
            .toString('utf8')
            .split('\0')
            .filter(Boolean);
          if (others.length) {
            for (let i = 0; i < others.length; i += 500)
              await g(['add', '--intent-to-add', '--force', '--', ...others.slice(i, i + 500)]);
          }
          const status = (
            await g([
              'diff',
              '--no-ext-diff',
              '--no-textconv',
              '--ignore-submodules=all',
              '--name-status',
              '-z',
              '--no-renames',
              meta.repository.commit,
            ])
          ).stdout
            .toString('utf8')
            .split('\0');
          for (let i = 0; i + 1 < status.length; i += 2) {
            const code = status[i] as string;
            const path = status[i + 1] as string;
            if (!path) continue;
            let size = 0;
            let type: WorkspaceFile['type'] = 'file';
            if (code !== 'D') {
              try {
                const st = lstatSync(join(work, path));
                size = st.size;
                type = typeOf(st);
              } catch {}
            }
            files.push({
              path,
              status: code === 'A' ? 'added' : code === 'D' ? 'deleted' : 'modified',
              size,
              type,
            });
          }
          const out = (
            await g(
              [
                'diff',
                '--no-ext-diff',
                '--no-textconv',
                '--ignore-submodules=all',
                '--no-color',
                '--no-renames',
                meta.repository.commit,
              ],
              256 * 2 ** 20,
            )
          ).stdout;
          diffTruncated = out.length > maxDiff;
          diff = out.subarray(0, maxDiff).toString('utf8');
        } finally {
          rmSync(index, { force: true });
        }
      } else {
        for (const { rel, st } of walk(work, () => false))
          files.push({
            path: rel,
            status: 'added',
            size: st.isFile() ? st.size : 0,
            type: typeOf(st),
          });
      }
      files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const { archive, note } = await tarGz(work, maxArchive);
      return {
        sizeBytes: usage.bytes,
        fileCount: usage.files,
        files: files.slice(0, maxFiles),
        filesTruncated: files.length > maxFiles,
        diff,
        diffTruncated,
        archive,
        archiveNote: note,
      };
    },

    list() {
      let names: string[] = [];
      try {
        names = readdirSync(root);
      } catch {}
      return names.filter((n) => TASK_ID.test(n));
    },

    remove(taskId) {
      const dir = taskDir(root, taskId);
      const rel = relative(root, dir);
      if (!rel || rel.includes(sep) || rel.startsWith('.')) return;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
