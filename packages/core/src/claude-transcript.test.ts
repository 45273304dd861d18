import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureTranscript, projectDirName, restoreTranscript } from './claude-transcript.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'baton-transcript-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ID = '0b6a3c55-8f1e-4d0e-9a5b-2f1c9d7e4a10';
const JSONL = `${JSON.stringify({ type: 'user', message: 'hi' })}\n${JSON.stringify({ type: 'assistant', message: 'héllo ✓' })}\n`;

function writeSession(home: string, cwd: string, content = JSONL) {
  const dir = join(home, '.claude', 'projects', projectDirName(cwd));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${ID}.jsonl`), content);
}

describe('Claude Code transcripts', () => {
  it('names project directories as Claude Code does', () => {
    expect(projectDirName('/tmp/baton-core-cc-cwd-Ab1.x_y')).toBe('-tmp-baton-core-cc-cwd-Ab1-x-y');
  });

  it('moves a session to another HOME and working directory, byte for byte', async () => {
    const home = temp();
    writeSession(home, '/work/a');
    const t = await captureTranscript(home, ID, '/work/a', 1_000_000);
    if (typeof t !== 'object') throw new Error(`not captured: ${t}`);
    expect(t).toMatchObject({ sessionId: ID, project: '-work-a', cwd: '/work/a' });
    expect(t.bytes).toBe(Buffer.byteLength(JSONL));
    const other = temp();
    expect(restoreTranscript(other, t, '/srv/b')).toBe('restored');
    expect(readFileSync(join(other, '.claude/projects/-srv-b', `${ID}.jsonl`), 'utf8')).toBe(JSONL);
    // Already there (the same HOME): left alone.
    expect(restoreTranscript(other, t, '/srv/b')).toBe('present');
    expect(restoreTranscript(home, t, '/work/a')).toBe('present');
  });

  it('says when a HOME has no transcript, or one too large to carry', async () => {
    const home = temp();
    expect(await captureTranscript(home, ID, '/w', 1_000)).toBe('missing');
    writeSession(home, '/w', 'x'.repeat(2_000));
    expect(await captureTranscript(home, ID, '/w', 1_000)).toBe('too-large');
    expect(typeof (await captureTranscript(home, ID, '/w', 2_000))).toBe('object');
  });
});
