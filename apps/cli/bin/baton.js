#!/usr/bin/env node
// The `baton` command. Runs the TypeScript sources through tsx, so a checkout
// needs no build step: `pnpm baton --help` from the repository root.
import { register } from 'tsx/esm/api';

register();
await import('../src/bin.ts');
