import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { readInside, writeInside } from './sandbox/safe-fs.js';

const gzipAsync = promisify(gzip);

/**
 * A Claude Code session's transcript, carried in the session state so that the session can be
 * resumed where its files are not: Claude Code keeps a session as
 * `$HOME/.claude/projects/<project>/<session id>.jsonl` (`<project>` is the working directory
 * with every character other than a letter or digit replaced by `-`) and `--resume <id>` reads it
 * from there. Another worker (another machine, or the same one after the session's temporary
 * HOME was removed) gets it back from the saved state before resuming.
 *
 * HOME may have been written by a sandboxed process: every access here goes through
 * `readInside`/`writeInside`, which never follow a symbolic link planted there.
 */
export interface ClaudeTranscript {
  sessionId: string;
  /** The project directory's name it was found in. */
  project: string;
  /** The working directory of the session that wrote it. */
  cwd: string;
  /** The JSONL file, gzipped, base64. */
  gzipBase64: string;
  /** Its size uncompressed. */
  bytes: number;
}

/** The project directory name Claude Code uses for a working directory. */
export function projectDirName(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The project directories (real directories only) that hold the session's transcript. */
function findTranscript(home: string, sessionId: string): string | undefined {
  if (!SESSION_ID.test(sessionId)) return undefined;
  const projects = join(home, '.claude', 'projects');
  let dirs: string[];
  try {
    for (const p of [join(home, '.claude'), projects])
      if (!lstatSync(p).isDirectory()) return undefined;
    dirs = readdirSync(projects);
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    try {
      const st = lstatSync(join(projects, d, `${sessionId}.jsonl`));
      if (st.isFile() && lstatSync(join(projects, d)).isDirectory()) return d;
    } catch {}
  }
  return undefined;
}

/**
 * Reads the session's transcript from `home`: `missing` when this HOME has none, `too-large` when
 * it is larger than `maxBytes` uncompressed (then it resumes only where its HOME is). Reads and
 * compresses off the event loop: it runs after every Claude Code run, beside other sessions.
 */
export async function captureTranscript(
  home: string,
  sessionId: string,
  cwd: string,
  maxBytes: number,
): Promise<ClaudeTranscript | 'missing' | 'too-large'> {
  const project = findTranscript(home, sessionId);
  if (!project) return 'missing';
  const r = readInside(home, join('.claude', 'projects', project, `${sessionId}.jsonl`), maxBytes);
  if (r === 'too-large') return 'too-large';
  if (typeof r === 'string') return 'missing';
  return {
    sessionId,
    project,
    cwd,
    gzipBase64: (await gzipAsync(r.data)).toString('base64'),
    bytes: r.data.length,
  };
}

/**
 * Makes the transcript available to `claude --resume` in `home` with working directory `cwd`:
 * `present` when a copy is already there (the same HOME), `restored` when it was written from the
 * saved one — into the project directory of `cwd`, where Claude Code looks for it.
 */
export function restoreTranscript(
  home: string,
  t: ClaudeTranscript,
  cwd: string,
  owner?: { uid: number; gid: number },
): 'present' | 'restored' {
  if (!SESSION_ID.test(t.sessionId)) throw new Error('not a Claude Code session id');
  if (findTranscript(home, t.sessionId)) return 'present';
  // The name Claude Code gave it, mapped to the new working directory the same way.
  const project =
    t.project === projectDirName(t.cwd) ? projectDirName(cwd) : projectDirName(t.project);
  writeInside(
    home,
    join('.claude', 'projects', project, `${t.sessionId}.jsonl`),
    gunzipSync(Buffer.from(t.gzipBase64, 'base64')),
    { mode: 0o600, dirMode: 0o700, owner },
  );
  return 'restored';
}
