import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
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

/** A bare repository (`git init --bare`) with `main` and the tag `v1` pushed to it; its real path and main's commit. */
export function makeBareRepo(dir: string): { path: string; main: string } {
  mkdirSync(path.dirname(dir), { recursive: true });
  git(path.dirname(dir), 'init', '--bare', '--quiet', dir);
  const work = mkdtempSync(path.join(os.tmpdir(), 'baton-cli-work-'));
  try {
    git(work, 'init', '--quiet', '.');
    writeFileSync(path.join(work, 'README.md'), '# fixture\n');
    git(work, 'add', 'README.md');
    git(work, 'commit', '--quiet', '-m', 'first');
    git(work, 'tag', 'v1');
    git(work, 'push', '--quiet', dir, 'main', 'v1');
    return { path: realpathSync(dir), main: git(work, 'rev-parse', 'HEAD') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
