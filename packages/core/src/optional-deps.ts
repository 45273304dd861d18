import type * as AgentSdk from '@anthropic-ai/claude-agent-sdk';
import type Sharp from 'sharp';
import type { McpServerConfig, PermissionMode } from './agent-sdk-types.js';
import { MissingDependencyError, type OptionalDependency } from './missing-dependency.js';

/** Imports an optional peer once, on first use; its absence is a MissingDependencyError. */
function lazy<T>(dependency: OptionalDependency, load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((e: unknown) => {
      loaded = undefined; // installed later in a long-lived process: the next call tries again
      throw new MissingDependencyError(dependency, e);
    });
    return loaded;
  };
}

export const loadSharp: () => Promise<typeof Sharp> = lazy(
  'sharp',
  async () => (await import('sharp')).default,
);

export const loadAgentSdk: () => Promise<typeof AgentSdk> = lazy(
  '@anthropic-ai/claude-agent-sdk',
  () => import('@anthropic-ai/claude-agent-sdk'),
);

// The restated SDK types (agent-sdk-types.ts) against the SDK's own: a change fails the build.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const permissionModesAgree: Same<PermissionMode, AgentSdk.PermissionMode> = true;
// Everything the SDK accepts is accepted; what is accepted is handed to the SDK as its own type.
const sdkServersFit: AgentSdk.McpServerConfig extends McpServerConfig ? true : false = true;
void permissionModesAgree;
void sdkServersFit;
