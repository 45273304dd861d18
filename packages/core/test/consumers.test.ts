/**
 * The published packages as a consumer gets them: `pnpm pack` @baton/ratelimit and @baton/core
 * (prepack builds them), install the tarballs with plain npm into a fresh ESM project outside
 * the workspace, type-check every complete TypeScript example of both READMEs there (strict,
 * `skipLibCheck: false`) and run the main ones against the simulator. The install is API-only —
 * core's optional peers (sharp, the agent SDK) are not installed — so it also proves that such
 * an install imports and runs, and that an image or a claude-code run then fails with a
 * MissingDependencyError; installing sharp afterwards makes images work.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const CORE = fileURLToPath(new URL('..', import.meta.url));
const RATELIMIT = fileURLToPath(new URL('../../ratelimit/', import.meta.url));
const KEY = 'sk-consumer-test';

interface Block {
  heading: string;
  lang: string;
  /** ```ts fragment: an excerpt that needs context, not type-checked on its own. */
  fragment: boolean;
  code: string;
}

/** The fenced code blocks of a README, each with the heading it is under. */
function codeBlocks(file: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  let open: Block | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (open) {
      if (line.startsWith('```')) {
        blocks.push(open);
        open = undefined;
      } else open.code += `${line}\n`;
      continue;
    }
    const h = /^#+\s+(.*)$/.exec(line);
    if (h?.[1]) heading = h[1].trim();
    const fence = /^```(\w*)\s*(.*)$/.exec(line);
    if (fence)
      open = { heading, lang: fence[1] ?? '', fragment: fence[2] === 'fragment', code: '' };
  }
  return blocks;
}

function packageJson(dir: string): Record<string, unknown> & { name: string; version: string } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/** The version the workspace uses, so the consumer gets what the tests here ran with. */
function versionOf(dir: string, name: string): string {
  return `${name}@${packageJson(join(dir, 'node_modules', name)).version}`;
}

/** The environment without pnpm's npm_config_* (they would steer the consumer's npm). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|pnpm_)/i.test(k) && !k.startsWith('BATON_') && !k.startsWith('ANTHROPIC_'))
      env[k] = v;
  return { ...env, ...extra };
}

async function sh(cmd: string, args: string[], cwd: string, env = cleanEnv()): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

let project: string;
let sim: RunningSimulator;
const tarballs: Record<'ratelimit' | 'core', string> = { ratelimit: '', core: '' };
/** File name → the README block it holds. */
const examples = new Map<string, Block>();

const npm = (args: string[]) =>
  sh('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
const tsc = (config: string) =>
  sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', config], project);
/** Runs a program of the project with Node, against the simulator. */
const node = (file: string) =>
  sh(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', file],
    project,
    cleanEnv({ ANTHROPIC_BASE_URL: sim.url, ANTHROPIC_API_KEY: KEY }),
  );

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'baton-consumer-'));
  // ratelimit first: core's build reads its declarations.
  for (const [which, dir] of [
    ['ratelimit', RATELIMIT],
    ['core', CORE],
  ] as const) {
    await sh('pnpm', ['pack', '--pack-destination', project], dir, process.env);
    const { name, version } = packageJson(dir);
    tarballs[which] = `${name.replace('@', '').replace('/', '-')}-${version}.tgz`;
  }
  sim = await startSimulator({ port: 0 });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'baton-consumer', private: true, type: 'module' }, null, 2),
  );
  const compilerOptions = {
    target: 'ES2023',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    isolatedModules: true,
    types: ['node'],
  };
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, include: ['readme-*.ts', 'api-only.ts'] }),
  );
  writeFileSync(
    join(project, 'tsconfig.images.json'),
    JSON.stringify({ compilerOptions, files: ['images.ts'] }),
  );
  for (const [pkg, dir] of [
    ['core', CORE],
    ['ratelimit', RATELIMIT],
  ] as const) {
    codeBlocks(join(dir, 'README.md'))
      .filter((b) => b.lang === 'ts' && !b.fragment)
      .forEach((b, i) => {
        const file = `readme-${pkg}-${i + 1}.ts`;
        examples.set(file, b);
        writeFileSync(join(project, file), b.code);
      });
    // The Quick start reads baton.yaml: the README's own.
    const yaml = codeBlocks(join(dir, 'README.md')).find((b) => b.lang === 'yaml');
    if (yaml) writeFileSync(join(project, 'baton.yaml'), yaml.code);
  }
  writeFileSync(join(project, 'api-only.ts'), API_ONLY);
  writeFileSync(join(project, 'images.ts'), IMAGES);
  await npm([
    'install',
    `./${tarballs.ratelimit}`,
    `./${tarballs.core}`,
    versionOf(CORE, '@anthropic-ai/sdk'),
    versionOf(CORE, 'zod'),
    versionOf(CORE, 'typescript'),
    versionOf(CORE, '@types/node'),
    versionOf(RATELIMIT, 'pg'),
    versionOf(RATELIMIT, '@types/pg'),
  ]);
}, 300_000);

afterAll(async () => {
  await sim?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** The block of a README under a heading (the examples the test runs). */
function exampleUnder(pkg: 'core' | 'ratelimit', heading: string): string {
  for (const [file, b] of examples)
    if (file.startsWith(`readme-${pkg}-`) && b.heading === heading) return file;
  throw new Error(`no complete ts example under "${heading}" in ${pkg}'s README`);
}

const API_ONLY = `import {
  createClaudeCodeBackend,
  MissingDependencyError,
  newSessionState,
  processImage,
} from '@baton/core';

async function failure(f: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await f();
    return { ok: true };
  } catch (e) {
    if (!(e instanceof MissingDependencyError)) return { other: String(e) };
    return { name: e.name, code: e.code, dependency: e.dependency, message: e.message };
  }
}
// A 1×1 PNG.
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const cc = createClaudeCodeBackend({
  baseURL: process.env.ANTHROPIC_BASE_URL,
  apiKey: process.env.ANTHROPIC_API_KEY,
});
const state = newSessionState({ conversationId: 'c1', backend: 'claude-code', model: 'claude-sonnet-5' });
console.log(
  JSON.stringify({
    image: await failure(() => processImage({ data: png })),
    claudeCode: await failure(() => cc.run(state, { prompt: 'Say hi' }).result),
  }),
);
cc.close();
`;

const IMAGES = `import sharp from 'sharp';
import { processImage } from '@baton/core';

const big = await sharp({
  create: { width: 3000, height: 2000, channels: 3, background: '#336699' },
})
  .png()
  .toBuffer();
const r = await processImage({ data: big });
const source = r.block.source;
console.log(
  JSON.stringify({
    width: r.width,
    height: r.height,
    transformed: r.transformed,
    mediaType: source.type === 'base64' ? source.media_type : null,
  }),
);
`;

describe('the published packages, installed with npm outside the workspace', () => {
  it('pack with LICENSE, README and the built dist, and no workspace-only specifiers', async () => {
    for (const [which, dir] of [
      ['ratelimit', RATELIMIT],
      ['core', CORE],
    ] as const) {
      const files = (await sh('tar', ['-tzf', tarballs[which]], project)).split('\n');
      expect(files).toEqual(
        expect.arrayContaining([
          'package/LICENSE',
          'package/README.md',
          'package/package.json',
          'package/dist/index.js',
          'package/dist/index.d.ts',
        ]),
      );
      const manifest = readFileSync(
        join(project, 'node_modules', packageJson(dir).name, 'package.json'),
        'utf8',
      );
      expect(manifest).not.toMatch(/workspace:|catalog:/);
      expect(JSON.parse(manifest).repository).toEqual({
        type: 'git',
        url: 'git+https://github.com/baton-dev/baton.git',
        directory: `packages/${which}`,
      });
    }
  });

  it("is API-only: core's optional peers are not installed", () => {
    const installed = (name: string) => existsSync(join(project, 'node_modules', name));
    expect(installed('@baton/core')).toBe(true);
    expect(installed('@baton/ratelimit')).toBe(true);
    expect(installed('sharp')).toBe(false);
    expect(installed('@anthropic-ai/claude-agent-sdk')).toBe(false);
  });

  it("type-checks every complete example of both READMEs, strict, with the libraries' declarations checked", async () => {
    expect([...examples.keys()].length).toBeGreaterThanOrEqual(5);
    await tsc('tsconfig.json');
  });

  it("runs core's Quick start against the simulator (with the README's baton.yaml)", async () => {
    const before = sim.stats().totals.requests;
    const out = await node(exampleUnder('core', 'Quick start'));
    expect(out).toMatch(/end_turn \d+\.\d+\n$/);
    expect(sim.stats().totals.requests).toBeGreaterThan(before);
  });

  it("runs core's api backend example, tools and all", async () => {
    const before = sim.stats().totals.requests;
    await node(exampleUnder('core', 'The api backend'));
    expect(sim.stats().totals.requests).toBeGreaterThan(before);
  });

  it("runs ratelimit's main example: the SDK through the limiter", async () => {
    const before = sim.stats().byKey[KEY]?.['claude-sonnet-5']?.requests ?? 0;
    await node(exampleUnder('ratelimit', 'Wrap `@anthropic-ai/sdk` (memory store)'));
    expect(sim.stats().byKey[KEY]?.['claude-sonnet-5']?.requests).toBe(before + 1);
  });

  it('without the peers, an image or a claude-code run fails with a MissingDependencyError', async () => {
    const out = JSON.parse(await node('api-only.ts'));
    expect(out.image).toMatchObject({
      name: 'MissingDependencyError',
      code: 'InvalidRequest',
      dependency: 'sharp',
    });
    expect(out.image.message).toContain('npm install sharp');
    expect(out.claudeCode).toMatchObject({
      name: 'MissingDependencyError',
      code: 'CliNotFound',
      dependency: '@anthropic-ai/claude-agent-sdk',
    });
  });

  it('with sharp installed, images are processed', async () => {
    await npm(['install', versionOf(CORE, 'sharp')]);
    await tsc('tsconfig.images.json');
    expect(JSON.parse(await node('images.ts'))).toEqual({
      width: 1568,
      height: 1045,
      transformed: true,
      mediaType: 'image/png',
    });
  });
});
