import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './auth';
import { tasks } from './tasks';
import { teams } from './teams';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

/**
 * Git repositories a team admin registered: a claude-code task may ask for a fresh clone of
 * one (at a ref) as its workspace. `source` is a URL (https, ssh, git) or an absolute path
 * under one of the operator's allowed roots (`BATON_REPOS_DIRS`).
 */
export const teamRepositories = pgTable(
  'team_repositories',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    /** What tasks name it by (`--repo <name>`), unique within the team. */
    name: text('name').notNull(),
    source: text('source').notNull(),
    /** The ref a task gets when it names none. */
    defaultRef: text('default_ref').notNull().default('HEAD'),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('team_repositories_team_name_key').on(t.teamId, t.name),
    check('team_repositories_name_format', sql`${t.name} ~ '^[a-z0-9][a-z0-9._-]{0,62}$'`),
  ],
);

/**
 * Instance-wide settings an operator changes in the console (one row, id = true): the
 * workspace retention and the default resource limits of every claude-code task.
 */
export const instanceSettings = pgTable(
  'instance_settings',
  {
    id: boolean('id').primaryKey().default(true),
    /** Workspaces of tasks finished this many days ago are removed. */
    workspaceRetentionDays: integer('workspace_retention_days').notNull().default(7),
    /** Memory of a task's whole process tree (MiB). */
    taskMemoryMb: integer('task_memory_mb').notNull().default(2048),
    /** Processes (and threads) a task may have at once. */
    taskMaxProcesses: integer('task_max_processes').notNull().default(512),
    /** CPU time of a task's whole process tree, per attempt (seconds). */
    taskCpuSeconds: integer('task_cpu_seconds').notNull().default(1800),
    /** Disk a task's workspace and private HOME may use (MiB). */
    taskDiskMb: integer('task_disk_mb').notNull().default(2048),
    updatedBy: text('updated_by').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('instance_settings_one_row', sql`${t.id}`),
    check(
      'instance_settings_limits_positive',
      sql`${t.workspaceRetentionDays} between 1 and 3650 and ${t.taskMemoryMb} between 64 and 1048576
        and ${t.taskMaxProcesses} between 8 and 100000 and ${t.taskCpuSeconds} between 10 and 604800
        and ${t.taskDiskMb} between 16 and 10485760`,
    ),
  ],
);

/** What a task's workspace holds after its latest attempt (claude-code tasks). */
export interface WorkspaceFileEntry {
  path: string;
  /** added | modified | deleted (against the clone's ref; every file of a plain workspace is added). */
  status: 'added' | 'modified' | 'deleted';
  size: number;
  /** 'file' | 'symlink' | 'dir' (an empty directory). */
  type: 'file' | 'symlink' | 'dir';
}

/** How the attempt that wrote the snapshot was confined. */
export interface WorkspaceSandboxInfo {
  /** bubblewrap: confined; off: BATON_SANDBOX=off (a developer's machine). */
  mode: 'bubblewrap' | 'off';
  worker: string;
  limits?: Record<string, unknown>;
  tools?: string[];
  permissionMode?: string;
  /** What is not enforced where the worker runs (e.g. memory without a writable cgroup). */
  unenforced?: string[];
}

/** One row per claude-code task: its workspace, as its latest attempt left it. */
export const taskWorkspaces = pgTable(
  'task_workspaces',
  {
    taskId: uuid('task_id')
      .primaryKey()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    repositoryId: uuid('repository_id').references(() => teamRepositories.id, {
      onDelete: 'set null',
    }),
    /** The repository's name and source as they were when the task ran. */
    repositoryName: text('repository_name'),
    ref: text('ref'),
    /** The commit the clone checked out. */
    baseCommit: text('base_commit'),
    /** The worker whose disk holds it. */
    workerId: text('worker_id').notNull(),
    sandbox: jsonb('sandbox').$type<WorkspaceSandboxInfo>().notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull().default(0),
    fileCount: integer('file_count').notNull().default(0),
    /** Created, changed and deleted files (at most 5,000 entries; `filesTruncated` says so). */
    files: jsonb('files').$type<WorkspaceFileEntry[]>().notNull().default([]),
    filesTruncated: boolean('files_truncated').notNull().default(false),
    /** Unified diff against `baseCommit` (repository workspaces), cut at 1 MiB. */
    diff: text('diff'),
    diffTruncated: boolean('diff_truncated').notNull().default(false),
    /** The whole workspace as a .tar.gz, when it fits the archive limit. */
    archive: bytea('archive'),
    archiveBytes: bigint('archive_bytes', { mode: 'number' }),
    /** Why there is no archive (too large, removed by retention). */
    archiveNote: text('archive_note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set when the retention policy removed the files from the worker's disk. */
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (t) => [index('task_workspaces_team_idx').on(t.teamId, t.updatedAt.desc())],
);
