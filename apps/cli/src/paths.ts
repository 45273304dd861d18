import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root, found from this file (works whatever the current directory is). */
export const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Baton checkout (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
})();

export const webDir = path.join(repoRoot, 'apps/web');
export const workerMain = path.join(repoRoot, 'apps/worker/src/main.ts');
export const mcpMain = path.join(repoRoot, 'apps/mcp/src/main.ts');
export const cliMain = path.join(repoRoot, 'apps/cli/src/bin.ts');
export const nextBin = path.join(webDir, 'node_modules/next/dist/bin/next');
