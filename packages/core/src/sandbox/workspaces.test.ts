import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRepositorySource, RepositoryError, resolveRef } from './git.js';
import { createWorkspaces } from './workspaces.js';

let dir: string;
let bare: string;
let first: string;
let second: string;
const sh = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@x',
    },
  })
    .toString()
    .trim();
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-ws-test-'));
  const repos = join(dir, 'repos');
  mkdirSync(repos);
  bare = join(repos, 'app.git');
  sh(repos, 'init', '--bare', '--initial-branch=main', bare);
  const src = join(dir, 'src');
  sh(dir, 'clone', bare, src);
  writeFileSync(join(src, 'README.md'), 'first\n');
  writeFileSync(join(src, 'keep.txt'), 'keep\n');
  writeFileSync(join(src, 'gone.txt'), 'gone\n');
  sh(src, 'add', '.');
  sh(src, 'commit', '-m', 'first');
  first = sh(src, 'rev-parse', 'HEAD');
  sh(src, 'tag', 'v1');
  writeFileSync(join(src, 'README.md'), 'second\n');
  sh(src, 'commit', '-am', 'second');
  second = sh(src, 'rev-parse', 'HEAD');
  sh(src, 'push', 'origin', 'main', '--tags');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function archiveEntries(archive: Buffer) {
  const entries: Array<{ path: string; type: string; body: string }> = [];
  await new Promise<void>((resolve, reject) => {
    const p = new tar.Parser({
      onReadEntry: (e) => {
        const chunks: Buffer[] = [];
        e.on('data', (c: Buffer) => chunks.push(c));
        e.on('end', () =>
          entries.push({ path: e.path, type: e.type, body: Buffer.concat(chunks).toString() }),
        );
      },
    });
    p.on('end', resolve);
    p.on('error', reject);
    p.end(archive);
  });
  return entries;
}

describe('repository sources', () => {
  it('accepts public URLs and paths inside the allowed roots, nothing else', () => {
    const roots = [join(dir, 'repos')];
    expect(parseRepositorySource('https://github.com/a/b.git', roots)).toEqual({
      kind: 'url',
      location: 'https://github.com/a/b.git',
    });
    expect(parseRepositorySource(bare, roots)).toMatchObject({ kind: 'path' });
    const refused = (s: string, r = roots) => {
      try {
        parseRepositorySource(s, r);
      } catch (err) {
        expect(err).toBeInstanceOf(RepositoryError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${s}`);
    };
    expect(refused('https://user:tok@github.com/a/b.git')).toMatch(/Credentials/);
    expect(refused('ssh://git@github.com/a/b.git')).toMatch(/ssh is not allowed/);
    expect(refused('ext::sh -c touch% /tmp/pwned')).toMatch(/https/);
    expect(refused('git@github.com:a/b.git')).toMatch(/https/);
    expect(refused('file:///etc')).toMatch(/not allowed/);
    expect(refused('repos/app.git')).toMatch(/absolute path/);
    expect(refused(`${join(dir, 'repos')}/../src`)).toMatch(/\.\./);
    expect(refused(join(dir, 'src'))).toMatch(/outside the folders/);
    expect(refused(bare, [])).toMatch(/not allowed on this instance/);
    // A link inside an allowed root that leads outside it is resolved first.
    symlinkSync(join(dir, 'src'), join(dir, 'repos', 'sneaky'));
    expect(refused(join(dir, 'repos', 'sneaky'))).toMatch(/outside the folders/);
  });

  it('resolves branches, tags and commits of a local repository; refuses unknown ones', async () => {
    const src = parseRepositorySource(bare, [join(dir, 'repos')]);
    expect((await resolveRef(src, 'main')).commit).toBe(second);
    expect((await resolveRef(src, 'v1')).commit).toBe(first);
    expect((await resolveRef(src, first.slice(0, 10))).commit).toBe(first);
    await expect(resolveRef(src, 'nope')).rejects.toMatchObject({ field: 'ref' });
    await expect(resolveRef(src, '--upload-pack=touch /tmp/x')).rejects.toMatchObject({
      field: 'ref',
    });
    await expect(resolveRef(src, 'a..b')).rejects.toMatchObject({ field: 'ref' });
  });
});

describe('workspaces', () => {
  it('a plain workspace is made once and kept for the retries', async () => {
    const ws = createWorkspaces({ root: join(dir, 'w1') });
    const a = await ws.prepare(id(1));
    expect(a.created).toBe(true);
    writeFileSync(join(a.path, 'out.txt'), 'hello\n');
    const b = await ws.prepare(id(1));
    expect(b).toMatchObject({ path: a.path, created: false });
    expect(readFileSync(join(b.path, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(ws.list()).toEqual([id(1)]);
    const snap = await ws.snapshot(id(1));
    expect(snap.files).toEqual([{ path: 'out.txt', status: 'added', size: 6, type: 'file' }]);
    expect(snap.diff).toBeUndefined();
    ws.remove(id(1));
    expect(existsSync(a.path)).toBe(false);
    await expect(ws.prepare('../../etc')).rejects.toThrow(/not a task id/);
  });

  it('a repository workspace is a clone at the ref; the diff shows what the task changed', async () => {
    const ws = createWorkspaces({ root: join(dir, 'w2') });
    const source = parseRepositorySource(bare, [join(dir, 'repos')]);
    const w = await ws.prepare(id(2), { name: 'app', source, ref: 'v1' });
    expect(w.meta.repository).toMatchObject({ name: 'app', ref: 'v1', commit: first });
    expect(readFileSync(join(w.path, 'README.md'), 'utf8')).toBe('first\n');
    writeFileSync(join(w.path, 'README.md'), 'changed by the task\n');
    rmSync(join(w.path, 'gone.txt'));
    writeFileSync(join(w.path, 'new.txt'), 'brand new\n');
    symlinkSync('/etc/passwd', join(w.path, 'passwd-link'));
    const snap = await ws.snapshot(id(2));
    expect(snap.files).toEqual([
      { path: 'README.md', status: 'modified', size: 20, type: 'file' },
      { path: 'gone.txt', status: 'deleted', size: 0, type: 'file' },
      { path: 'new.txt', status: 'added', size: 10, type: 'file' },
      { path: 'passwd-link', status: 'added', size: 11, type: 'symlink' },
    ]);
    expect(snap.diff).toContain('-first\n+changed by the task');
    expect(snap.diff).toContain('+brand new');
    expect(snap.diff).toContain('+/etc/passwd\n\\ No newline at end of file');
    expect(snap.diff).not.toMatch(/^\+root:/m);
    const entries = await archiveEntries(snap.archive!);
    expect(entries.find((e) => e.path === './README.md')?.body).toBe('changed by the task\n');
    expect(entries.find((e) => e.path === './passwd-link')?.type).toBe('SymbolicLink');
    expect(entries.some((e) => e.path.startsWith('./.git'))).toBe(false);
    expect(entries.some((e) => e.body.includes('root:x:0:0'))).toBe(false);
  });

  it('nothing the task put in its workspace runs when the worker reads it', async () => {
    const ws = createWorkspaces({ root: join(dir, 'w3') });
    const source = parseRepositorySource(bare, [join(dir, 'repos')]);
    const w = await ws.prepare(id(3), { name: 'app', source, ref: 'main' });
    const marker = join(dir, 'pwned');
    // The task's own .git/config and attributes: hooks, fsmonitor, textconv, filters, pager.
    writeFileSync(
      join(w.path, '.git', 'config'),
      `[core]\n\tfsmonitor = touch ${marker}-fsmonitor\n\thooksPath = /tmp\n\tpager = touch ${marker}-pager\n[diff "evil"]\n\ttextconv = touch ${marker}-textconv\n[filter "evil"]\n\tclean = touch ${marker}-filter\n`,
    );
    writeFileSync(join(w.path, '.gitattributes'), '* diff=evil filter=evil\n');
    writeFileSync(join(w.path, 'README.md'), 'x\n');
    const snap = await ws.snapshot(id(3));
    expect(snap.files.map((f) => f.path)).toEqual(['.gitattributes', 'README.md']);
    for (const s of ['fsmonitor', 'pager', 'textconv', 'filter'])
      expect(existsSync(`${marker}-${s}`), s).toBe(false);
    expect(snap.diff).toContain('+x');
  });

  it('an unknown ref fails as a RepositoryError naming the ref; nothing is left behind', async () => {
    const ws = createWorkspaces({ root: join(dir, 'w4') });
    const source = parseRepositorySource(bare, [join(dir, 'repos')]);
    await expect(ws.prepare(id(4), { name: 'app', source, ref: 'nope' })).rejects.toMatchObject({
      field: 'ref',
    });
    expect(ws.list()).toEqual([]);
    expect(lstatSync(join(dir, 'w4')).isDirectory()).toBe(true);
  });

  it('an archive over the limit is left out, with the reason', async () => {
    const ws = createWorkspaces({ root: join(dir, 'w5') });
    const w = await ws.prepare(id(5));
    writeFileSync(join(w.path, 'big.bin'), randomBytes(3 * 2 ** 20));
    const snap = await ws.snapshot(id(5), { maxArchiveBytes: 2 ** 20 });
    expect(snap.archive).toBeUndefined();
    expect(snap.archiveNote).toMatch(/larger than the 1 MiB archive limit/);
    const ok = await ws.snapshot(id(5));
    expect(gunzipSync(ok.archive!).length).toBeGreaterThan(3 * 2 ** 20);
  });
});
