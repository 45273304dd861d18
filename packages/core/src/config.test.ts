import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { ConfigError, loadConfig } from './config.js';
import { DEFAULT_TREE_LIMITS, treeLimitsFromConfig } from './coordination/limits.js';
import { KEY, sim } from './testing/sim.js';
import { memoryUsageSink } from './usage.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-core-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('loads YAML, fills defaults, reads the key from the named variable, and lets the environment override', () => {
    const file = join(dir, 'baton.yaml');
    writeFileSync(
      file,
      [
        'providers:',
        '  anthropic:',
        '    baseURL: https://api.example.com',
        '    apiKeyEnv: MY_KEY',
        '    retries:',
        '      RateLimit: { attempts: 3 }',
        'models:',
        '  default: claude-opus-4-6',
        '  fallback: [claude-sonnet-4-6, claude-haiku-4-5]',
        'profiles:',
        '  coder: { backend: claude-code, model: claude-opus-5-5, allowedTools: [Read, Write] }',
        'pool: { maxSessions: 8 }',
      ].join('\n'),
    );
    const c = loadConfig({ file, env: { MY_KEY: 'sk-1', BATON_MAX_SESSIONS: '3' } });
    expect(c.models).toEqual({
      default: 'claude-opus-4-6',
      fallback: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
      summarizer: 'claude-haiku-4-5',
    });
    expect(c.pool).toEqual({
      maxSessions: 3,
      maxIdle: 64,
      idleTimeoutMs: 300_000,
      prewarmClaudeCode: false,
    });
    expect(c.breaker.failureThreshold).toBe(5);
    expect(c.profiles.coder).toMatchObject({
      backend: 'claude-code',
      fallbackModels: [],
      maxTokens: 4096,
    });
    expect(c.provider()).toMatchObject({
      baseURL: 'https://api.example.com',
      apiKey: 'sk-1',
      retries: { RateLimit: { attempts: 3 } },
    });
    expect(
      loadConfig({ file, env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:4010' } }).provider().baseURL,
    ).toBe('http://127.0.0.1:4010');
  });

  it('says which key is wrong and why', () => {
    const bad = (config: unknown, env: Record<string, string> = {}) => {
      try {
        loadConfig({ config: config as never, env });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad({ pool: { maxSessions: 0 } })[0]?.path).toBe('pool.maxSessions');
    expect(bad({ pool: { maxSesions: 2 } })[0]).toMatchObject({
      path: 'pool',
      message: expect.stringMatching(/maxSesions/),
    });
    expect(
      bad({ providers: { a: { apiKeyEnv: 'lower-case' } }, defaultProvider: 'a' })[0],
    ).toMatchObject({
      path: 'providers.a.apiKeyEnv',
      message: 'must be an environment variable name',
    });
    expect(bad({ defaultProvider: 'nope' })[0]).toMatchObject({
      path: 'defaultProvider',
      message: expect.stringMatching(/"nope" is not one of the providers/),
    });
    expect(bad({ context: { threshold: 0.5, target: 0.7 } })[0]?.path).toBe('context.target');
    expect(bad({ providers: { anthropic: { retries: { Sometimes: {} } } } })[0]?.path).toMatch(
      /^providers\.anthropic\.retries/,
    );
    expect(bad({}, { BATON_MAX_SESSIONS: 'many' })[0]?.path).toBe(
      'BATON_MAX_SESSIONS (environment)',
    );
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'pool: [unclosed');
    expect(() => loadConfig({ file, env: {} })).toThrow(/broken\.yaml.*\n.*cannot parse/);
  });

  it('createClient wires everything from a configuration and runs a conversation through the pool', async () => {
    const s = await sim();
    try {
      const usage = memoryUsageSink();
      const client = createClient({
        config: loadConfig({
          config: { models: { default: 'claude-haiku-4-5', fallback: [] } },
          env: { ANTHROPIC_BASE_URL: s.url, ANTHROPIC_API_KEY: KEY },
        }),
        usageSink: usage,
      });
      const r1 = await client.run('conv', 'Hello');
      const r2 = await client.run('conv', 'And again');
      expect(r1.stopReason).toBe('end_turn');
      expect(r2.model).toBe('claude-haiku-4-5');
      expect(usage.records).toHaveLength(2);
      expect(client.pool.stats()).toMatchObject({ hits: 1, misses: 1, idle: 1 });
      await client.close();
    } finally {
      await s.close();
    }
  });

  it('reads the multi_agent section and the Claude Code model, and names the key of a bad value', () => {
    const file = join(dir, 'multi.yaml');
    writeFileSync(
      file,
      [
        'claudeCode: { model: claude-sonnet-4-6, maxConcurrent: 2, pathToClaudeCodeExecutable: /opt/claude }',
        'multi_agent:',
        '  enabled: false',
        '  max_agents: 12',
        '  max_depth: 1',
        '  coordination_strategy: mesh',
      ].join('\n'),
    );
    const c = loadConfig({ file, env: {} });
    expect(c.multi_agent).toEqual({
      enabled: false,
      max_agents: 12,
      max_depth: 1,
      max_concurrent: 4,
      coordination_strategy: 'mesh',
    });
    expect(c.claudeCode).toMatchObject({ model: 'claude-sonnet-4-6', maxConcurrent: 2 });
    expect(treeLimitsFromConfig(c.multi_agent)).toEqual({
      maxAgents: 12,
      maxDepth: 1,
      maxConcurrent: 4,
    });
    // Defaults when the section is absent: the library's own tree limits.
    expect(loadConfig({ env: {} }).multi_agent).toMatchObject({
      enabled: true,
      max_agents: DEFAULT_TREE_LIMITS.maxAgents,
      max_depth: DEFAULT_TREE_LIMITS.maxDepth,
    });
    const bad = (multi_agent: unknown) => {
      try {
        loadConfig({ config: { multi_agent } as never, env: {} });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).issues.map((i) => i.path);
      }
      throw new Error('accepted');
    };
    expect(bad({ max_agents: 0 })).toEqual(['multi_agent.max_agents']);
    expect(bad({ max_depth: 99 })).toEqual(['multi_agent.max_depth']);
    expect(bad({ coordination_strategy: 'swarm' })).toEqual(['multi_agent.coordination_strategy']);
    expect(bad({ maxAgents: 3 })).toEqual(['multi_agent']);
  });
});
