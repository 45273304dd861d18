export {
  type BubblewrapOptions,
  bubblewrapSandbox,
  chownTree,
  SANDBOX_PATHS,
} from './bubblewrap.js';
export { type DiskUsage, diskUsage } from './disk-usage.js';
export {
  checkRefName,
  git,
  gitDirOf,
  parseRepositorySource,
  RepositoryError,
  type RepositorySource,
  resolveRef,
  resolveRoots,
} from './git.js';
export {
  CLAUDE_CODE_PERMISSION_MODES,
  CLAUDE_CODE_TOOL_LABELS,
  CLAUDE_CODE_TOOLS,
  type ClaudeCodePermissionMode,
  type ClaudeCodeTool,
  DEFAULT_CLAUDE_CODE_TOOLS,
  DEFAULT_PERMISSION_MODE,
  effectiveTools,
  isClaudeCodeTool,
  PERMISSION_MODE_LABELS,
  permissionModeOf,
  permissionRules,
  teamTools,
} from './policy.js';
export {
  type ProviderProxy,
  type ProviderProxyOptions,
  type ProviderResponse,
  providerRequestAllowed,
  startProviderProxy,
} from './provider-proxy.js';
export {
  type DetectOptions,
  detectResourceController,
  LIMIT_LABELS,
  type LimitHit,
  type LimitName,
  type ResourceController,
  type ResourceGroup,
  type ResourceLimits,
} from './resource-limits.js';
export { insidePath, readInside, UnsafePathError, writeInside } from './safe-fs.js';
export type {
  Sandbox,
  SandboxCheck,
  SandboxInfo,
  SandboxOpenSpec,
  SandboxSession,
  SpawnedProcessLike,
  SpawnOptionsLike,
} from './types.js';
export {
  createWorkspaces,
  type Workspace,
  type WorkspaceFile,
  type WorkspaceMeta,
  type WorkspaceSnapshot,
  type Workspaces,
  type WorkspacesOptions,
} from './workspaces.js';
