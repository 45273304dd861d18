import { describe, expect, it } from 'vitest';
import { BatonError } from './errors.js';
import { MissingDependencyError } from './missing-dependency.js';
import { loadAgentSdk, loadSharp } from './optional-deps.js';

describe('MissingDependencyError', () => {
  it('is a BatonError whose code fails fast for the feature, and says what to install', () => {
    const cause = new Error("Cannot find package 'sharp'");
    const e = new MissingDependencyError('sharp', cause);
    expect(e).toBeInstanceOf(BatonError);
    expect(e.name).toBe('MissingDependencyError');
    expect(e.code).toBe('InvalidRequest');
    expect(e.message).toContain('npm install sharp');
    expect(e.message).toContain("Cannot find package 'sharp'");
    expect(e.cause).toBe(cause);
    expect(e.toJSON()).toMatchObject({ code: 'InvalidRequest', dependency: 'sharp' });
    const cc = new MissingDependencyError('@anthropic-ai/claude-agent-sdk', 'not found');
    expect(cc.code).toBe('CliNotFound');
    expect(cc.message).toContain('npm install @anthropic-ai/claude-agent-sdk');
  });
});

describe('the optional peers, where installed (the workspace)', () => {
  it('load once and are the real modules', async () => {
    const sharp = await loadSharp();
    expect(typeof sharp).toBe('function');
    expect(await loadSharp()).toBe(sharp);
    const sdk = await loadAgentSdk();
    expect(typeof sdk.query).toBe('function');
    expect(typeof sdk.startup).toBe('function');
  });
});
