import type { Readable, Writable } from 'node:stream';
import type { ProviderResponse } from './provider-proxy.js';
import type { LimitHit, LimitName, ResourceLimits } from './resource-limits.js';

/** What the Agent SDK hands a custom spawner (`spawnClaudeCodeProcess`). */
export interface SpawnOptionsLike {
  command: string;
  args: string[];
  cwd?: string | undefined;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

/** What the Agent SDK needs back from a custom spawner. */
export interface SpawnedProcessLike {
  stdin: Writable;
  stdout: Readable;
  readonly killed: boolean;
  readonly exitCode: number | null;
  kill(signal: NodeJS.Signals): boolean;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  off(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  off(event: 'error', listener: (error: Error) => void): void;
}

export interface SandboxCheck {
  ok: boolean;
  /** Why not (what to install or set). */
  reason?: string;
  version?: string;
  /** How resources are limited: cgroup2 | cgroup1 | rlimit. */
  resources?: string;
  /** What the resource control could not use (e.g. why not cgroups). */
  note?: string;
}

/** How a session is confined, for events, the task page and the Live page. */
export interface SandboxInfo {
  kind: 'bubblewrap';
  version: string;
  resources: 'cgroup2' | 'cgroup1' | 'rlimit';
  limits: ResourceLimits;
  enforced: LimitName[];
  unenforced: LimitName[];
  /** The host uid the sandbox runs as. */
  hostUid: number;
}

export interface SandboxOpenSpec {
  /** Host directory bound read-write as the working directory. */
  workspace: string;
  /** Host directory bound read-write as HOME (Claude Code's settings and transcripts). */
  home: string;
  /** The provider's base URL: the only place the sandbox can reach, through a proxy. */
  baseURL: string;
  /** The provider key; it stays outside (the proxy adds it), the sandbox gets a token. */
  apiKey?: string | undefined;
  /** Limits of this session (over the sandbox's defaults). */
  limits?: ResourceLimits | undefined;
  /** A name for its control group and run directory (e.g. the conversation id). */
  name?: string | undefined;
  /**
   * Baton's MCP server, reached from inside at `<baseURL>/mcp` with the session's token; the
   * proxy sends it on to `url` with this `token`, which stays outside (see the provider proxy).
   */
  mcp?: { url: string; token: string } | undefined;
}

/** One confined process's world: open one per run, close it when the process has ended. */
export interface SandboxSession {
  /** Where the workspace and HOME are inside. */
  readonly workspace: string;
  readonly home: string;
  /** The provider as seen from inside, and the token that stands for the key there. */
  readonly baseURL: string;
  readonly token: string;
  readonly info: SandboxInfo;
  /** Spawns the command (the Claude Code binary) inside: the SDK's `spawnClaudeCodeProcess`. */
  spawn(o: SpawnOptionsLike): SpawnedProcessLike;
  /** The resource limit the process tree ran into, if any. */
  limitHit(): LimitHit | undefined;
  /** The last lines the sandbox wrote to stderr (bwrap's own errors). */
  stderr(): string;
  usage(): { cpuSeconds?: number; memoryPeakBytes?: number };
  proxyStats(): { forwarded: number; refused: number };
  /**
   * Every Messages API response that went through the session's proxy, as each ends (one made
   * before a listener was set is handed to it when it is): what the provider billed, whoever
   * inside asked for it.
   */
  onProviderResponse(listener: ((r: ProviderResponse) => void) | undefined): void;
  /**
   * Awaited before each Messages API request from inside is forwarded (see the provider proxy's
   * `beforeMessages`): a rejection refuses that request.
   */
  beforeProviderRequest(hook: (() => Promise<void>) | undefined): void;
  /** Kills whatever is left inside and removes the session's proxy, group and run directory. */
  close(): Promise<void>;
}

/** A way of confining Claude Code (bubblewrap on Linux). */
export interface Sandbox {
  readonly kind: 'bubblewrap';
  /** The host user sandboxed processes run as (files they write belong to it); undefined: this process's. */
  readonly hostUser: { uid: number; gid: number } | undefined;
  /** Whether a sandbox can start here, and why not (cached). */
  check(): Promise<SandboxCheck>;
  /** Checks again (after the operator installed what was missing). */
  recheck(): Promise<SandboxCheck>;
  open(spec: SandboxOpenSpec): Promise<SandboxSession>;
  /** Whether sandboxes can be given `dir` (their host user can reach it). */
  canReach(dir: string): Promise<{ ok: boolean; reason?: string }>;
}
