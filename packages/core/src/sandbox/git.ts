import { execFile } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

/**
 * git, run by the worker (outside any sandbox) on repositories a team registered and on
 * workspaces a sandboxed task wrote. Nothing of theirs may run code here: no system or global
 * configuration, no hooks, no fsmonitor, no external diff or text conversion, no credential
 * helper, no prompt, and only the transports allowed (never `ext::`).
 */
export class RepositoryError extends Error {
  /** `source` | `ref`: which input is wrong. */
  readonly field: 'source' | 'ref';
  constructor(field: 'source' | 'ref', message: string) {
    super(message);
    this.name = 'RepositoryError';
    this.field = field;
  }
}

const HARDENING = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.sshCommand=false',
  '-c',
  'credential.helper=',
  '-c',
  'protocol.allow=never',
  '-c',
  'protocol.https.allow=always',
  '-c',
  'protocol.http.allow=always',
  '-c',
  'protocol.git.allow=always',
  '-c',
  'protocol.file.allow=always',
  '-c',
  'submodule.recurse=false',
  '-c',
  'diff.external=',
  '-c',
  'core.pager=cat',
  '-c',
  'advice.detachedHead=false',
  '-c',
  'init.defaultBranch=main',
];

export function gitEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_ALLOW_PROTOCOL: 'https:http:git:file',
    GIT_OPTIONAL_LOCKS: '0',
  };
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs git with the hardening above. Rejects with git's own message on a non-zero exit. */
export function git(
  args: string[],
  o: {
    cwd?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    maxBuffer?: number;
    signal?: AbortSignal;
  } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...HARDENING, ...args],
      {
        cwd: o.cwd ?? '/',
        env: { ...gitEnv(), ...o.env },
        timeout: o.timeoutMs ?? 120_000,
        maxBuffer: o.maxBuffer ?? 64 * 2 ** 20,
        encoding: 'buffer',
        signal: o.signal,
      },
      (err, stdout, stderr) => {
        const se = Buffer.isBuffer(stderr) ? stderr.toString('utf8') : String(stderr ?? '');
        if (err) {
          const msg = se.trim().split('\n').filter(Boolean).pop() ?? (err as Error).message;
          reject(
            Object.assign(new Error(msg), {
              stderr: se,
              code: (err as NodeJS.ErrnoException).code,
            }),
          );
          return;
        }
        resolve({ stdout: stdout as Buffer, stderr: se });
      },
    );
  });
}

/** Roots local repositories may come from, resolved (missing ones dropped). */
export function resolveRoots(roots: string[]): string[] {
  const out: string[] = [];
  for (const r of roots) {
    try {
      out.push(realpathSync(r));
    } catch {}
  }
  return out;
}

function within(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

export interface RepositorySource {
  kind: 'url' | 'path';
  /** What git is given: the URL, or the real path of the local repository. */
  location: string;
}

/**
 * Checks a repository source as a team admin typed it: an `https://`, `http://` or `git://` URL
 * without credentials in it, or an absolute path that — after `realpath` (no `..`, no link
 * leading elsewhere) — lies inside one of `localRoots`.
 */
export function parseRepositorySource(source: string, localRoots: string[]): RepositorySource {
  const s = source.trim();
  if (!s) throw new RepositoryError('source', 'Enter a repository URL or path.');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new RepositoryError('source', 'Not a valid URL.');
    }
    if (!['https:', 'http:', 'git:'].includes(u.protocol))
      throw new RepositoryError(
        'source',
        `Use an https://, http:// or git:// URL (${u.protocol.slice(0, -1)} is not allowed).`,
      );
    if (u.username || u.password)
      throw new RepositoryError(
        'source',
        'Credentials in a repository URL are not stored: register a public URL or a local path.',
      );
    if (u.protocol === 'file:')
      throw new RepositoryError('source', 'Use a plain path for a local repository.');
    return { kind: 'url', location: u.toString() };
  }
  if (/^[a-z0-9.+-]+::/i.test(s) || /^[^/]*@[^/]*:/.test(s))
    throw new RepositoryError(
      'source',
      'Use an https://, http:// or git:// URL, or an absolute path.',
    );
  if (!isAbsolute(s))
    throw new RepositoryError(
      'source',
      'A local repository is an absolute path (starting with /).',
    );
  if (s.split('/').includes('..'))
    throw new RepositoryError('source', 'A path may not contain "..".');
  const roots = resolveRoots(localRoots);
  if (roots.length === 0)
    throw new RepositoryError(
      'source',
      'Local repositories are not allowed on this instance (the operator lists their folders in BATON_REPOS_DIRS).',
    );
  let real: string;
  try {
    real = realpathSync(s);
  } catch {
    throw new RepositoryError('source', `${s} does not exist on the workers.`);
  }
  if (!roots.some((r) => within(r, real)))
    throw new RepositoryError(
      'source',
      `${s} is outside the folders local repositories may come from (${roots.join(', ')}).`,
    );
  if (!statSync(real).isDirectory())
    throw new RepositoryError('source', `${s} is not a directory.`);
  return { kind: 'path', location: real };
}

const REF = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/+-]{1,200}(?<!\.lock)(?<![./])$/;
const SHA = /^[0-9a-f]{7,40}$/i;

/** A ref as a task may name it: a branch, a tag, `HEAD` or a commit id. */
export function checkRefName(ref: string): string {
  const r = ref.trim();
  if (!REF.test(r)) throw new RepositoryError('ref', `"${ref}" is not a valid git ref.`);
  return r;
}

/**
 * Verifies that `ref` exists in the repository: the commit it names. A local repository is
 * asked directly; a remote one with `ls-remote` (branches, tags, HEAD; a full commit id is taken
 * as given and checked when the workspace is cloned).
 */
export async function resolveRef(
  source: RepositorySource,
  ref: string,
  o: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ commit: string | undefined }> {
  const r = checkRefName(ref);
  if (source.kind === 'path') {
    let out: GitResult;
    try {
      out = await git(
        [
          '--git-dir',
          gitDirOf(source.location),
          'rev-parse',
          '--verify',
          '--quiet',
          `${r}^{commit}`,
        ],
        {
          timeoutMs: o.timeoutMs ?? 15_000,
          signal: o.signal,
        },
      );
    } catch (err) {
      if (/not a git repository/i.test((err as Error).message))
        throw new RepositoryError('source', `${source.location} is not a git repository.`);
      throw new RepositoryError('ref', `No ref "${r}" in the repository.`);
    }
    return { commit: out.stdout.toString('utf8').trim() };
  }
  if (/^[0-9a-f]{40}$/i.test(r)) return { commit: r.toLowerCase() };
  let out: GitResult;
  try {
    out = await git(['ls-remote', '--', source.location, r], {
      timeoutMs: o.timeoutMs ?? 20_000,
      signal: o.signal,
    });
  } catch (err) {
    throw new RepositoryError(
      'source',
      `The repository could not be reached: ${(err as Error).message}`,
    );
  }
  const lines = out.stdout.toString('utf8').trim().split('\n').filter(Boolean);
  const hit = lines
    .map((l) => l.split('\t'))
    .find(
      ([, name]) =>
        name === r ||
        name === `refs/heads/${r}` ||
        name === `refs/tags/${r}` ||
        name === `refs/tags/${r}^{}`,
    );
  if (!hit) {
    if (SHA.test(r))
      throw new RepositoryError(
        'ref',
        `Use the full 40-character commit id (or a branch or tag) for a remote repository.`,
      );
    throw new RepositoryError('ref', `No branch or tag "${r}" in the repository.`);
  }
  return { commit: hit[0] };
}

/** The git directory of a local repository (bare, or a work tree's `.git`). */
export function gitDirOf(path: string): string {
  try {
    if (statSync(`${path}/.git`).isDirectory()) return `${path}/.git`;
  } catch {}
  return path;
}
