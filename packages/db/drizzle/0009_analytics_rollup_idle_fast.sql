-- baton_rollup_usage(max_rows) answers 0 at once when nothing is pending: the
-- analytics router calls it before every dashboard query, and planning the
-- batch statement (one CTE per rollup) alone costs milliseconds. The batch
-- statement itself is unchanged, now baton_rollup_usage_batch(max_rows).
ALTER FUNCTION baton_rollup_usage(int) RENAME TO baton_rollup_usage_batch;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION baton_rollup_usage(max_rows int) RETURNS int
LANGUAGE plpgsql AS $fn$
BEGIN
  -- ORDER BY id: the partial index, whatever the statistics say.
  PERFORM 1 FROM usage_events WHERE NOT rolled_up ORDER BY id LIMIT 1;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  RETURN baton_rollup_usage_batch(max_rows);
END
$fn$;
