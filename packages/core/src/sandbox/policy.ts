/**
 * What a claude-code task may do: the tools a team allows (a task may narrow them, never widen
 * them) and Claude Code's permission mode. One list, read by the API (validation, the console's
 * choices) and the worker (what Claude Code is started with).
 */
export const CLAUDE_CODE_TOOLS = [
  'Read',
  'Write',
  'Edit',
  'Glob',
  'Grep',
  'Bash',
  'NotebookEdit',
  'TodoWrite',
  'WebSearch',
] as const;
export type ClaudeCodeTool = (typeof CLAUDE_CODE_TOOLS)[number];

/** What a team allows until its admins choose: files and a shell, inside the sandbox. */
export const DEFAULT_CLAUDE_CODE_TOOLS: readonly ClaudeCodeTool[] = [
  'Read',
  'Write',
  'Edit',
  'Glob',
  'Grep',
  'Bash',
];

export const CLAUDE_CODE_TOOL_LABELS: Record<ClaudeCodeTool, string> = {
  Read: 'Read files',
  Write: 'Write files',
  Edit: 'Edit files',
  Glob: 'Find files by pattern',
  Grep: 'Search file contents',
  Bash: 'Run shell commands (inside the sandbox)',
  NotebookEdit: 'Edit Jupyter notebooks',
  TodoWrite: 'Keep a to-do list',
  WebSearch: 'Search the web (through the provider)',
};

/**
 * Claude Code's permission modes a team may choose. Headless, a tool call that is neither
 * allowed nor auto-approved by the mode is refused.
 */
export const CLAUDE_CODE_PERMISSION_MODES = [
  'acceptEdits',
  'dontAsk',
  'plan',
  'bypassPermissions',
] as const;
export type ClaudeCodePermissionMode = (typeof CLAUDE_CODE_PERMISSION_MODES)[number];
export const DEFAULT_PERMISSION_MODE: ClaudeCodePermissionMode = 'acceptEdits';

export const PERMISSION_MODE_LABELS: Record<ClaudeCodePermissionMode, string> = {
  acceptEdits: 'Accept edits: the allowed tools run, file edits are approved',
  dontAsk: 'Allowed tools only: anything else is refused',
  plan: 'Plan only: read and plan, change nothing',
  bypassPermissions: 'Bypass permission checks (only ever inside the sandbox)',
};

export function isClaudeCodeTool(t: string): t is ClaudeCodeTool {
  return (CLAUDE_CODE_TOOLS as readonly string[]).includes(t);
}

/** The team's tools (null: the default). */
export function teamTools(team: readonly string[] | null | undefined): ClaudeCodeTool[] {
  const list = team ?? DEFAULT_CLAUDE_CODE_TOOLS;
  return CLAUDE_CODE_TOOLS.filter((t) => list.includes(t));
}

/**
 * The tools a task gets: its own list within the team's. `refused` names those the task asked
 * for that the team does not allow (the API refuses them at submit).
 */
export function effectiveTools(
  team: readonly string[] | null | undefined,
  task?: readonly string[] | null,
): { tools: ClaudeCodeTool[]; refused: string[] } {
  const allowed = teamTools(team);
  if (!task) return { tools: allowed, refused: [] };
  const refused = task.filter((t) => !allowed.includes(t as ClaudeCodeTool));
  return { tools: allowed.filter((t) => task.includes(t)), refused };
}

export function permissionModeOf(mode: string | null | undefined): ClaudeCodePermissionMode {
  return (CLAUDE_CODE_PERMISSION_MODES as readonly string[]).includes(mode ?? '')
    ? (mode as ClaudeCodePermissionMode)
    : DEFAULT_PERMISSION_MODE;
}

/**
 * Claude Code's own permission rules for a task's tools, a second layer inside the sandbox:
 * file tools pre-approved only inside the working directory (`Read(//dir/**)` covers Read, Glob
 * and Grep; `Edit(//dir/**)` covers Write, Edit and NotebookEdit), so a read or write elsewhere
 * is refused by Claude Code before the sandbox refuses it. `dir` must be a real path.
 */
export function permissionRules(tools: readonly string[], dir: string): string[] {
  const d = dir.replace(/\/+$/, '');
  const rules = new Set<string>();
  for (const t of tools) {
    if (t === 'Read' || t === 'Glob' || t === 'Grep') rules.add(`Read(/${d}/**)`);
    else if (t === 'Write' || t === 'Edit' || t === 'NotebookEdit') rules.add(`Edit(/${d}/**)`);
    else rules.add(t);
  }
  return [...rules];
}
