import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/**
 * A Claude Code session's transcript, carried in the session state so that the session can be
 * resumed where its files are not: Claude Code keeps a session as
 * `$HOME/.claude/projects/<project>/<session id>.jsonl` (`<project>` is the working directory
 * with every character other than a letter or digit replaced by `-`) and `--resume <id>` reads it
 * from there. Another worker (another machine, or the same one after the session's temporary
 * HOME was removed) gets it back from the saved state before resuming.
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

function findTranscript(home: string, sessionId: string): string | undefined {
  const projects = join(home, '.claude', 'projects');
  let dirs: string[];
  try {
    dirs = readdirSync(projects);
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    const file = join(projects, d, `${sessionId}.jsonl`);
    if (existsSync(file)) return file;
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
  const file = findTranscript(home, sessionId);
  if (!file) return 'missing';
  const bytes = statSync(file).size;
  if (bytes > maxBytes) return 'too-large';
  return {
    sessionId,
    project: basename(dirname(file)),
    cwd,
    gzipBase64: (await gzipAsync(await readFile(file))).toString('base64'),
    bytes,
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
): 'present' | 'restored' {
  if (findTranscript(home, t.sessionId)) return 'present';
  // The name Claude Code gave it, mapped to the new working directory the same way.
  const project = t.project === projectDirName(t.cwd) ? projectDirName(cwd) : t.project;
  const dir = join(home, '.claude', 'projects', project);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, `${t.sessionId}.jsonl`),
    gunzipSync(Buffer.from(t.gzipBase64, 'base64')),
    { mode: 0o600 },
  );
  return 'restored';
}
