-- Wakes one worker of the fleet per submitted task: a new queued task NOTIFYs
-- 'baton_task_queued' with its id (in the submitting transaction, before its job's
-- pg-boss NOTIFY), and the worker that owns the id (by hash over the live workers in
-- worker_heartbeats) wakes one fetch loop; the others skip it instead of all fetching
-- and two of three finding nothing. Jobs sent without a task insert (re-drives) keep
-- pg-boss's NOTIFY, which wakes every worker.
CREATE OR REPLACE FUNCTION baton_task_queued_notify() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('baton_task_queued', NEW.id::text);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS tasks_queued_notify ON tasks;
--> statement-breakpoint
CREATE TRIGGER tasks_queued_notify AFTER INSERT ON tasks
  FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION baton_task_queued_notify();
