import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=Baton Test',
      '-c',
      'user.email=test@example.test',
      '-c',
      'init.defaultBranch=main',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' },
    },
  )
    .toString()
    .trim();
}

export interface BareRepo {
  /** The bare repository's real path. */
  path: string;
  /** Commits of `main` and `feature`, and the tag `v1` (on main's first commit). */
  main: string;
  feature: string;
  v1: string;
}

/**
 * A real bare repository at `dir`: made with `git init --bare`, filled by pushing from a
 * scratch clone — `main` (two commits, tag v1 on the first) and `feature`.
 */
export function makeBareRepo(dir: string): BareRepo {
  mkdirSync(path.dirname(dir), { recursive: true });
  git(path.dirname(dir), 'init', '--bare', '--quiet', dir);
  const work = mkdtempSync(path.join(os.tmpdir(), 'baton-api-work-'));
  try {
    git(work, 'init', '--quiet', '.');
    writeFileSync(path.join(work, 'README.md'), '# fixture\n');
    git(work, 'add', 'README.md');
    git(work, 'commit', '--quiet', '-m', 'first');
    const v1 = git(work, 'rev-parse', 'HEAD');
    git(work, 'tag', 'v1');
    writeFileSync(path.join(work, 'app.txt'), 'hello\n');
    git(work, 'add', 'app.txt');
    git(work, 'commit', '--quiet', '-m', 'second');
    const main = git(work, 'rev-parse', 'HEAD');
    git(work, 'checkout', '--quiet', '-b', 'feature');
    writeFileSync(path.join(work, 'feature.txt'), 'wip\n');
    git(work, 'add', 'feature.txt');
    git(work, 'commit', '--quiet', '-m', 'feature');
    const feature = git(work, 'rev-parse', 'HEAD');
    git(work, 'push', '--quiet', dir, 'main', 'feature', 'v1');
    return { path: realpathSync(dir), main, feature, v1 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface RepoFixture {
  tmp: string;
  /** The allowed root (pass as `repoRoots`). */
  root: string;
  /** A bare repository inside the root. */
  app: BareRepo;
  /** A bare repository outside it. */
  outside: BareRepo;
  /** A symlink inside the root that points at `outside`. */
  link: string;
  /** A plain directory inside the root that is not a repository. */
  plain: string;
  cleanup(): void;
}

export function makeRepoFixture(): RepoFixture {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'baton-api-repos-'));
  const root = path.join(tmp, 'allowed');
  mkdirSync(root);
  const app = makeBareRepo(path.join(root, 'app.git'));
  const outside = makeBareRepo(path.join(tmp, 'elsewhere', 'secret.git'));
  const link = path.join(root, 'sneaky.git');
  symlinkSync(outside.path, link);
  const plain = path.join(root, 'plain');
  mkdirSync(plain);
  return {
    tmp,
    root,
    app,
    outside,
    link,
    plain,
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}
