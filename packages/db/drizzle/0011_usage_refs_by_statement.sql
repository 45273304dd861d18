ALTER TABLE "usage_events" DROP CONSTRAINT "usage_events_task_id_tasks_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_events" DROP CONSTRAINT "usage_events_session_id_claude_sessions_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_events" DROP CONSTRAINT "usage_events_team_id_teams_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_events" DROP CONSTRAINT "usage_events_user_id_users_id_fk";
--> statement-breakpoint
-- usage_events keeps its references to teams, tasks, users and claude_sessions
-- with statement-level triggers instead of foreign keys (see schema/usage.ts):
-- a foreign key checks every inserted row on its own (a query and a row lock
-- per row and key: half of the insert's cost at 2,000-row batches), these
-- check each batch once per distinct key.
--
-- Insert: every distinct referenced key of the statement's new rows is locked
-- FOR KEY SHARE, as a foreign key check locks it (a concurrent delete waits for
-- the inserting transaction; a row already deleted is not found), and a
-- missing one raises foreign_key_violation (23503) with the constraint name
-- the foreign key had. Delete: deleting teams deletes their usage (as ON DELETE
-- CASCADE); deleting tasks, users or sessions sets the usage's reference to
-- null (as ON DELETE SET NULL). usage_events rows are never updated otherwise
-- (only rolled_up changes), so updates are not checked.
CREATE OR REPLACE FUNCTION baton_usage_events_refs_check() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  missing text;
BEGIN
  SELECT k.id::text INTO missing
  FROM (SELECT DISTINCT team_id AS id FROM new_usage ORDER BY 1) k
  WHERE NOT EXISTS (SELECT 1 FROM teams r WHERE r.id = k.id FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_team_id_teams_id_fk"',
      DETAIL = format('Key (team_id)=(%s) is not present in table "teams".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_team_id_teams_id_fk';
  END IF;
  SELECT k.id::text INTO missing
  FROM (SELECT DISTINCT task_id AS id FROM new_usage WHERE task_id IS NOT NULL ORDER BY 1) k
  WHERE NOT EXISTS (SELECT 1 FROM tasks r WHERE r.id = k.id FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_task_id_tasks_id_fk"',
      DETAIL = format('Key (task_id)=(%s) is not present in table "tasks".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_task_id_tasks_id_fk';
  END IF;
  SELECT k.id INTO missing
  FROM (SELECT DISTINCT user_id AS id FROM new_usage WHERE user_id IS NOT NULL ORDER BY 1) k
  WHERE NOT EXISTS (SELECT 1 FROM users r WHERE r.id = k.id FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_user_id_users_id_fk"',
      DETAIL = format('Key (user_id)=(%s) is not present in table "users".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_user_id_users_id_fk';
  END IF;
  SELECT k.id::text INTO missing
  FROM (SELECT DISTINCT session_id AS id FROM new_usage WHERE session_id IS NOT NULL ORDER BY 1) k
  WHERE NOT EXISTS (SELECT 1 FROM claude_sessions r WHERE r.id = k.id FOR KEY SHARE)
  LIMIT 1;
  IF FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = 'insert or update on table "usage_events" violates foreign key constraint "usage_events_session_id_claude_sessions_id_fk"',
      DETAIL = format('Key (session_id)=(%s) is not present in table "claude_sessions".', missing),
      TABLE = 'usage_events', CONSTRAINT = 'usage_events_session_id_claude_sessions_id_fk';
  END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS usage_events_refs_check ON usage_events;
--> statement-breakpoint
CREATE TRIGGER usage_events_refs_check
AFTER INSERT ON usage_events
REFERENCING NEW TABLE AS new_usage
FOR EACH STATEMENT EXECUTE FUNCTION baton_usage_events_refs_check();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION baton_team_rollups_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
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
CREATE OR REPLACE FUNCTION baton_tasks_usage_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE usage_events SET task_id = NULL WHERE task_id IN (SELECT id FROM old_tasks);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS tasks_usage_delete ON tasks;
--> statement-breakpoint
CREATE TRIGGER tasks_usage_delete
AFTER DELETE ON tasks
REFERENCING OLD TABLE AS old_tasks
FOR EACH STATEMENT EXECUTE FUNCTION baton_tasks_usage_delete();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION baton_users_usage_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE usage_events SET user_id = NULL WHERE user_id IN (SELECT id FROM old_users);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS users_usage_delete ON users;
--> statement-breakpoint
CREATE TRIGGER users_usage_delete
AFTER DELETE ON users
REFERENCING OLD TABLE AS old_users
FOR EACH STATEMENT EXECUTE FUNCTION baton_users_usage_delete();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION baton_claude_sessions_usage_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE usage_events SET session_id = NULL WHERE session_id IN (SELECT id FROM old_sessions);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS claude_sessions_usage_delete ON claude_sessions;
--> statement-breakpoint
CREATE TRIGGER claude_sessions_usage_delete
AFTER DELETE ON claude_sessions
REFERENCING OLD TABLE AS old_sessions
FOR EACH STATEMENT EXECUTE FUNCTION baton_claude_sessions_usage_delete();
