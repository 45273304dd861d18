import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_FLAGS } from './node-flags';

describe('WORKER_NODE_FLAGS', () => {
  it('are what the start script passes', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toBe(`node ${WORKER_NODE_FLAGS.join(' ')} --import tsx src/main.ts`);
  });

  it('are flags this Node accepts, in effect', () => {
    const run = spawnSync(
      process.execPath,
      [
        ...WORKER_NODE_FLAGS,
        '-e',
        'const v8 = require("node:v8"); console.log(v8.getHeapSpaceStatistics().length)',
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(Number(run.stdout.trim())).toBeGreaterThan(0);
  });
});
