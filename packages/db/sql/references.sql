-- What deleting a team or a task does to the rows that reference it without a foreign key
-- (repeatable: `migrate` re-applies this file whenever it changes). usage_events (migration 0011)
-- and claude_sessions (0022) keep their references this way: every writer takes them from rows it
-- reads in the same statement, and a foreign key's per-row check was most of those inserts' cost.
-- The triggers themselves (statement-level, with transition tables) are created by the migrations.
--
-- A deleted team: its sessions, usage and rollups go with it (as ON DELETE CASCADE).
CREATE OR REPLACE FUNCTION baton_team_rollups_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM claude_sessions WHERE team_id IN (SELECT id FROM old_teams);
  DELETE FROM usage_events WHERE team_id IN (SELECT id FROM old_teams);
  DELETE FROM usage_rollup_minute WHERE team_id IN (SELECT id FROM old_teams);
  DELETE FROM usage_rollup_hour WHERE team_id IN (SELECT id FROM old_teams);
  DELETE FROM usage_rollup_day WHERE team_id IN (SELECT id FROM old_teams);
  DELETE FROM usage_error_rollup_hour WHERE team_id IN (SELECT id FROM old_teams);
  DELETE FROM usage_task_cost_day WHERE team_id IN (SELECT id FROM old_teams);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- A deleted task: its usage and sessions stay, without the task (as ON DELETE SET NULL).
CREATE OR REPLACE FUNCTION baton_tasks_usage_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE usage_events SET task_id = NULL WHERE task_id IN (SELECT id FROM old_tasks);
  UPDATE claude_sessions SET task_id = NULL WHERE task_id IN (SELECT id FROM old_tasks);
  RETURN NULL;
END
$fn$;
