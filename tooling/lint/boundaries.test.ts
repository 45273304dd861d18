import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the real boundary check (dependency-cruiser with the workspace's
// config) on two small trees laid out like the repository: one breaking every
// rule, one doing only what is allowed.
const config = path.join(import.meta.dirname, 'dependency-cruiser.cjs');
const bin = path.join(import.meta.dirname, '../../node_modules/.bin/depcruise');

function cruise(fixture: string) {
  const cwd = path.join(import.meta.dirname, 'fixtures', fixture);
  const res = spawnSync(
    bin,
    [
      '--config',
      config,
      '--ts-config',
      'tsconfig.json',
      '--output-type',
      'err',
      'apps',
      'packages',
    ],
    {
      cwd,
      encoding: 'utf8',
    },
  );
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe('module boundaries', () => {
  const bad = cruise('violations');

  it('fail the lint on a violation', () => {
    expect(bad.status).not.toBe(0);
  });

  it.each([
    ['libraries-stay-standalone', 'packages/core/src/imports-db.ts → packages/db/src/index.ts'],
    ['libraries-stay-standalone', 'packages/ratelimit/src/imports-db-and-next.ts → next'],
    [
      'ratelimit-imports-no-workspace-package',
      'packages/ratelimit/src/imports-db-and-next.ts → packages/db/src/index.ts',
    ],
    [
      'simulator-imports-nothing',
      'packages/simulator/src/imports-db.ts → packages/db/src/index.ts',
    ],
    [
      'client-never-imports-server',
      'apps/web/src/components/leak.tsx → apps/web/src/server/secret.ts',
    ],
    ['client-no-node-builtins', 'apps/web/src/components/leak.tsx → fs'],
    [
      'worker-never-imports-web-or-api',
      'apps/worker/src/imports-api.ts → packages/api/src/router/task.ts',
    ],
    [
      'worker-main-takes-only-the-agents-queue-from-api',
      'apps/worker/src/main.ts → packages/api/src/router/task.ts',
    ],
  ])('report %s for %s', (rule, edge) => {
    expect(bad.output).toContain(`${rule}: ${edge}`);
  });

  it("the worker's entry may take the api's agents queue, and only that", () => {
    expect(bad.output).not.toContain('apps/worker/src/main.ts → packages/api/src/agents/index.ts');
  });

  it('pass allowed imports (core → ratelimit, type-only server types in client code, a component unit test reading a server source, the worker entry → the api agents queue)', () => {
    const ok = cruise('clean');
    expect(ok.output).toMatch(/no dependency violations found/);
    expect(ok.status).toBe(0);
  });
});

describe('client component placement', () => {
  const check = (fixture: string) =>
    spawnSync(
      process.execPath,
      [
        path.join(import.meta.dirname, 'check-client-files.mjs'),
        path.join(import.meta.dirname, 'fixtures', fixture),
      ],
      {
        encoding: 'utf8',
      },
    );

  it('fails on a "use client" file outside the guarded places', () => {
    const res = check('violations');
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('apps/web/src/app/misplaced.tsx');
    expect(res.stderr).not.toContain('components/leak.tsx');
  });

  it('passes when every client file is guarded', () => {
    expect(check('clean').status).toBe(0);
  });
});
