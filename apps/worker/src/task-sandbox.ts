/**
 * How this worker confines claude-code tasks (issue: "Claude Code tasks confined"): the
 * bubblewrap sandbox of @baton/core, the task workspaces under BATON_WORKSPACES_DIR, and the
 * folders local team repositories may come from. `BATON_SANDBOX=required` (the default) refuses
 * claude-code tasks when no sandbox can start here; `off` runs them unconfined, for a developer's
 * own machine, and says so on the Live page and on every task it ran.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  bubblewrapSandbox,
  createWorkspaces,
  type ResourceLimits,
  type Sandbox,
  type SandboxCheck,
  type Workspaces,
} from '@baton/core';

export type SandboxMode = 'required' | 'off';

export interface TaskSandboxOptions {
  mode: SandboxMode;
  workspacesDir: string;
  /** Folders local team repositories may come from (resolved with realpath). */
  reposDirs: string[];
  /** A sandbox of the caller's (tests); default bubblewrap with this worker's Node.js. */
  sandbox?: Sandbox;
  /**
   * Baton's data folder: when the workspaces are inside it, it is made searchable (not
   * readable) by the sandbox's host user, which must reach them. Its secret file stays 0600.
   */
  dataDir?: string;
}

export interface TaskSandbox {
  readonly mode: SandboxMode;
  /** Present when mode is required. */
  readonly sandbox: Sandbox | undefined;
  readonly workspaces: Workspaces;
  readonly reposDirs: string[];
  /** Whether claude-code tasks can run here (`required`: the sandbox starts). */
  status(): Promise<{
    mode: SandboxMode;
    ok: boolean;
    reason?: string;
    resources?: string;
    version?: string;
  }>;
}

/** Per-task limits from the instance settings (as baton_task_start returns them). */
export function limitsOf(
  l: { memory_mb: number; max_processes: number; cpu_seconds: number; disk_mb: number } | undefined,
): ResourceLimits {
  if (!l) return {};
  const MiB = 2 ** 20;
  return {
    memoryBytes: l.memory_mb * MiB,
    maxProcesses: l.max_processes,
    cpuSeconds: l.cpu_seconds,
    diskBytes: l.disk_mb * MiB,
  };
}

export function createTaskSandbox(o: TaskSandboxOptions): TaskSandbox {
  const sandbox = o.mode === 'required' ? (o.sandbox ?? bubblewrapSandbox()) : undefined;
  if (sandbox?.hostUser && o.dataDir) {
    const root = path.resolve(o.workspacesDir);
    const data = path.resolve(o.dataDir);
    if (root.startsWith(`${data}${path.sep}`)) {
      mkdirSync(root, { recursive: true, mode: 0o700 });
      for (let d = path.dirname(root); d.length >= data.length; d = path.dirname(d)) {
        const mode = statSync(d).mode & 0o7777;
        if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
        if (d === data) break;
      }
    }
  }
  const workspaces = createWorkspaces({
    root: o.workspacesDir,
    // A workspace belongs to the host user the sandbox runs as (nobody when the worker is root).
    owner: sandbox?.hostUser,
  });
  let reach: Promise<{ ok: boolean; reason?: string }> | undefined;
  return {
    mode: o.mode,
    sandbox,
    workspaces,
    reposDirs: o.reposDirs,
    async status() {
      if (!sandbox)
        return {
          mode: 'off',
          ok: false,
          reason: 'BATON_SANDBOX=off: claude-code tasks run unconfined on this worker',
        };
      const c: SandboxCheck = await sandbox.check();
      if (c.ok) {
        reach ??= sandbox.canReach(workspaces.root);
        const r = await reach;
        if (!r.ok)
          return { mode: 'required', ok: false, reason: `BATON_WORKSPACES_DIR: ${r.reason}` };
      }
      return {
        mode: 'required',
        ok: c.ok,
        ...(c.reason ? { reason: c.reason } : c.note ? { reason: c.note } : {}),
        ...(c.resources ? { resources: c.resources } : {}),
        ...(c.version ? { version: c.version } : {}),
      };
    },
  };
}
