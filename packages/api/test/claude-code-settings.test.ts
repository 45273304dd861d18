/** A team's Claude Code policy (settings.claudeCode / setClaudeCode) and the instance's sandbox settings. */
import {
  CLAUDE_CODE_PERMISSION_MODES,
  CLAUDE_CODE_TOOL_LABELS,
  CLAUDE_CODE_TOOLS,
  DEFAULT_CLAUDE_CODE_TOOLS,
} from '@baton/core';
import { instanceSettings, teams, users } from '@baton/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthSession } from '../src/trpc';
import {
  callerFor,
  fieldErrorOf,
  type Harness,
  makeTeam,
  makeUser,
  rejection,
  setupHarness,
} from './harness';

let h: Harness;
let admin: AuthSession;
let member: AuthSession;
let viewer: AuthSession;
let operator: AuthSession;
let teamId: string;

beforeAll(async () => {
  h = await setupHarness();
  admin = await makeUser(h, 'Admin');
  member = await makeUser(h, 'Member');
  viewer = await makeUser(h, 'Viewer');
  operator = await makeUser(h, 'Operator');
  await h.client.db.update(users).set({ isOperator: true }).where(eq(users.id, operator.user.id));
  teamId = await makeTeam(h, 'cc', [
    [admin, 'owner'],
    [member, 'member'],
    [viewer, 'viewer'],
  ]);
});

afterAll(async () => {
  await h?.close();
});

describe('settings.claudeCode', () => {
  it('shows the default policy and every choice with its label to any member', async () => {
    const cc = await (await callerFor(h, viewer)).settings.claudeCode({ teamId });
    expect(cc).toEqual({
      tools: [...DEFAULT_CLAUDE_CODE_TOOLS],
      isDefault: true,
      permissionMode: 'acceptEdits',
      choices: {
        tools: CLAUDE_CODE_TOOLS.map((id) => ({ id, label: CLAUDE_CODE_TOOL_LABELS[id] })),
        permissionModes: CLAUDE_CODE_PERMISSION_MODES.map((id) => ({
          id,
          label: expect.any(String),
        })),
      },
      defaults: { tools: [...DEFAULT_CLAUDE_CODE_TOOLS], permissionMode: 'acceptEdits' },
    });
    expect(cc.tools).toEqual(['Read', 'Write', 'Edit', 'Glob', 'Grep', 'Bash']);
    expect(cc.choices.tools).toHaveLength(9);
    expect(cc.choices.permissionModes.map((m) => m.id)).toEqual([
      'acceptEdits',
      'dontAsk',
      'plan',
      'bypassPermissions',
    ]);
  });
});

describe('settings.setClaudeCode', () => {
  it('stores the tools (deduplicated, in canonical order) and the mode; the policy then applies to submits', async () => {
    const api = await callerFor(h, admin);
    const set = await api.settings.setClaudeCode({
      teamId,
      tools: ['Bash', 'Read', 'Read', 'WebSearch'],
      permissionMode: 'dontAsk',
    });
    expect(set).toMatchObject({
      tools: ['Read', 'Bash', 'WebSearch'],
      isDefault: false,
      permissionMode: 'dontAsk',
    });
    const [row] = await h.client.db.select().from(teams).where(eq(teams.id, teamId));
    expect(row).toMatchObject({
      claudeCodeTools: ['Read', 'Bash', 'WebSearch'],
      claudeCodePermissionMode: 'dontAsk',
    });
    expect(await (await callerFor(h, viewer)).settings.claudeCode({ teamId })).toMatchObject({
      tools: ['Read', 'Bash', 'WebSearch'],
      permissionMode: 'dontAsk',
    });
    // Write is no longer allowed: a task asking for it is refused at submit.
    const refused = fieldErrorOf(
      await rejection(
        (await callerFor(h, member)).task.submit({
          teamId,
          prompt: 'x',
          backend: 'claude-code',
          model: 'claude-sonnet-5',
          tools: ['Read', 'Write'],
        }),
      ),
    );
    expect(refused).toEqual({
      code: 'BAD_REQUEST',
      field: 'tools',
      message: 'Not allowed for this team: Write. It allows Read, Bash, WebSearch.',
    });
  });

  it('names the field: unknown tools, no tools, an unknown permission mode', async () => {
    const api = await callerFor(h, admin);
    expect(
      fieldErrorOf(
        await rejection(
          api.settings.setClaudeCode({
            teamId,
            tools: ['Read', 'Nuke', 'rm'],
            permissionMode: 'acceptEdits',
          }),
        ),
      ),
    ).toEqual({
      code: 'BAD_REQUEST',
      field: 'tools',
      message: `Unknown tools: Nuke, rm (choose from ${CLAUDE_CODE_TOOLS.join(', ')}).`,
    });
    expect(
      fieldErrorOf(
        await rejection(api.settings.setClaudeCode({ teamId, tools: [], permissionMode: 'plan' })),
      ),
    ).toEqual({ code: 'BAD_REQUEST', field: 'tools', message: 'Allow at least one tool.' });
    expect(
      fieldErrorOf(
        await rejection(
          api.settings.setClaudeCode({
            teamId,
            tools: ['Read'],
            permissionMode: 'yolo' as 'plan',
          }),
        ),
      ),
    ).toEqual({
      code: 'BAD_REQUEST',
      field: 'permissionMode',
      message: 'Choose a permission mode.',
    });
  });

  it('is for admins', async () => {
    for (const who of [member, viewer]) {
      const err = await rejection(
        (await callerFor(h, who)).settings.setClaudeCode({
          teamId,
          tools: ['Read'],
          permissionMode: 'plan',
        }),
      );
      expect(err.code).toBe('FORBIDDEN');
    }
  });
});

const LIMITS = {
  workspaceRetentionDays: 14,
  taskMemoryMb: 4096,
  taskMaxProcesses: 256,
  taskCpuSeconds: 3600,
  taskDiskMb: 8192,
};

describe('system.sandbox and system.setSandbox', () => {
  it('shows the instance settings to anyone signed in; canEdit only for operators', async () => {
    const seen = await (await callerFor(h, viewer)).system.sandbox();
    expect(seen).toEqual({
      workspaceRetentionDays: 7,
      taskMemoryMb: 2048,
      taskMaxProcesses: 512,
      taskCpuSeconds: 1800,
      taskDiskMb: 2048,
      updatedAt: expect.any(Date),
      canEdit: false,
    });
    expect((await (await callerFor(h, operator)).system.sandbox()).canEdit).toBe(true);
    expect((await rejection((await callerFor(h, null)).system.sandbox())).code).toBe(
      'UNAUTHORIZED',
    );
  });

  it('lets an operator change them; everyone else, team owners included, is FORBIDDEN', async () => {
    for (const who of [admin, member, viewer]) {
      const err = await rejection((await callerFor(h, who)).system.setSandbox(LIMITS));
      expect(err.code).toBe('FORBIDDEN');
      expect(err.message).toMatch(/Only an operator of this Baton instance/);
    }
    const before = await (await callerFor(h, viewer)).system.sandbox();
    const set = await (await callerFor(h, operator)).system.setSandbox(LIMITS);
    expect(set).toMatchObject({ ...LIMITS, canEdit: true });
    expect(set.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    const [row] = await h.client.db.select().from(instanceSettings);
    expect(row).toMatchObject({ ...LIMITS, updatedBy: operator.user.id });
    expect(await (await callerFor(h, viewer)).system.sandbox()).toMatchObject({
      ...LIMITS,
      canEdit: false,
    });
  });

  it.each([
    ['workspaceRetentionDays', 0, 'At least 1 day.'],
    ['workspaceRetentionDays', 3651, 'At most 3,650 days.'],
    ['taskMemoryMb', 63, 'At least 64 MiB.'],
    ['taskMemoryMb', 1_048_577, 'At most 1,048,576 MiB.'],
    ['taskMaxProcesses', 7, 'At least 8 processes.'],
    ['taskMaxProcesses', 100_001, 'At most 100,000 processes.'],
    ['taskCpuSeconds', 9, 'At least 10 seconds.'],
    ['taskCpuSeconds', 604_801, 'At most 604,800 seconds.'],
    ['taskDiskMb', 15, 'At least 16 MiB.'],
    ['taskDiskMb', 10_485_761, 'At most 10,485,760 MiB.'],
    ['taskDiskMb', 20.5, 'Use a whole number.'],
  ])('refuses %s = %s with a field error', async (field, value, message) => {
    const err = await rejection(
      (await callerFor(h, operator)).system.setSandbox({ ...LIMITS, [field]: value }),
    );
    expect(fieldErrorOf(err)).toEqual({ code: 'BAD_REQUEST', field, message });
  });

  it('accepts both ends of every range (the table’s check constraint agrees)', async () => {
    const api = await callerFor(h, operator);
    const low = {
      workspaceRetentionDays: 1,
      taskMemoryMb: 64,
      taskMaxProcesses: 8,
      taskCpuSeconds: 10,
      taskDiskMb: 16,
    };
    const high = {
      workspaceRetentionDays: 3650,
      taskMemoryMb: 1_048_576,
      taskMaxProcesses: 100_000,
      taskCpuSeconds: 604_800,
      taskDiskMb: 10_485_760,
    };
    expect(await api.system.setSandbox(low)).toMatchObject(low);
    expect(await api.system.setSandbox(high)).toMatchObject(high);
    await api.system.setSandbox(LIMITS);
  });
});
