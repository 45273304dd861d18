import { BatonError, type ErrorCode } from './errors.js';

/**
 * The heavy dependencies are optional peers: an API-only install has neither. Each is imported
 * the first time a feature needs it (`optional-deps.ts`); its absence is this error.
 */
export type OptionalDependency = 'sharp' | '@anthropic-ai/claude-agent-sdk';

const FEATURE: Record<OptionalDependency, { feature: string; code: ErrorCode }> = {
  // Not retried: the image cannot be processed on this install.
  sharp: { feature: 'image processing', code: 'InvalidRequest' },
  // The Claude Code CLI ships in the agent SDK: without it there is no CLI to start.
  '@anthropic-ai/claude-agent-sdk': { feature: 'the claude-code backend', code: 'CliNotFound' },
};

/** An optional peer dependency a feature needs is not installed (or does not load). */
export class MissingDependencyError extends BatonError {
  readonly dependency: OptionalDependency;

  constructor(dependency: OptionalDependency, cause: unknown) {
    const { feature, code } = FEATURE[dependency];
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      code,
      `${feature} needs the optional dependency "${dependency}": install it (npm install ${dependency}) — ${reason}`,
      { cause },
    );
    this.name = 'MissingDependencyError';
    this.dependency = dependency;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), dependency: this.dependency };
  }
}
