-- Spend caps (repeatable: `migrate` re-applies this file whenever it changes).
--
-- The clock every cap reads: now(), unless the session (or the database, for new connections)
-- sets `baton.now` — how tests move to "the next day".
CREATE OR REPLACE FUNCTION baton_now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('baton.now', true), '')::timestamptz, now())
$$;
--> statement-breakpoint
-- A period's window around `p_at`, on UTC boundaries (weeks start on Monday, as ISO's).
CREATE OR REPLACE FUNCTION baton_period_bounds(p_period text, p_at timestamptz,
                                               OUT starts_at timestamptz, OUT resets_at timestamptz)
LANGUAGE sql IMMUTABLE AS $$
  SELECT s, s + CASE p_period WHEN 'daily' THEN interval '1 day'
                              WHEN 'weekly' THEN interval '7 days'
                              ELSE interval '1 month' END
    FROM (SELECT date_trunc(CASE p_period WHEN 'daily' THEN 'day' WHEN 'weekly' THEN 'week' ELSE 'month' END,
                            p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS s) b
$$;
--> statement-breakpoint
-- Every cap that applies to a task of team `p_team` submitted by user `p_user` ('' for none):
-- the instance's, the team's and the user's within the team, each with what its scope spent in
-- its current period, when that period resets, and the sentence that says so.
CREATE OR REPLACE FUNCTION baton_cap_state(p_team uuid, p_user text, p_at timestamptz DEFAULT NULL)
RETURNS TABLE (cap_id uuid, scope text, team_id uuid, user_id text, period text, usd numeric,
               spent numeric, starts_at timestamptz, resets_at timestamptz,
               set_by_operator boolean, message text)
LANGUAGE sql STABLE AS $$
  WITH caps AS (
    SELECT c.*, b.starts_at, b.resets_at
      FROM spend_caps c
      CROSS JOIN LATERAL baton_period_bounds(c.period, coalesce(p_at, baton_now())) b
     WHERE c.scope = 'instance'
        OR (c.scope = 'team' AND c.team_id = p_team)
        OR (c.scope = 'user' AND c.team_id = p_team AND c.user_id = p_user)
  ), spent AS (
    SELECT c.*, coalesce((
      SELECT sum(d.usd) FROM spend_daily d
       WHERE d.day >= (c.starts_at AT TIME ZONE 'UTC')::date
         AND d.day < (c.resets_at AT TIME ZONE 'UTC')::date
         AND (c.scope = 'instance' OR d.team_id = c.team_id)
         AND (c.scope <> 'user' OR d.user_id = c.user_id)), 0) AS used
      FROM caps c
  )
  SELECT s.id, s.scope, s.team_id, s.user_id, s.period, s.usd, round(s.used, 6), s.starts_at,
         s.resets_at, s.set_by_operator,
         format('the %s %s cap of $%s is reached ($%s spent); it resets at %s',
                CASE s.scope WHEN 'instance' THEN 'instance''s' WHEN 'team' THEN 'team''s' ELSE 'user''s' END,
                s.period, CASE WHEN s.usd = round(s.usd, 2) THEN to_char(s.usd, 'FM999999999990.00')
                     ELSE rtrim(to_char(s.usd, 'FM999999999990.0000'), '0') END,
                trim(to_char(s.used, 'FM999999999990.0000')),
                to_char(s.resets_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
    FROM spent s
$$;
--> statement-breakpoint
-- Keeps spend_daily in the statement that inserts usage (only rows really inserted are in
-- new_usage: a usage row inserted twice is counted once), and tells every worker when a cap is
-- now reached (NOTIFY baton_spend_cap, a JSON payload naming the cap's scope, team and user).
CREATE OR REPLACE FUNCTION baton_usage_spend() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO spend_daily AS d (team_id, user_id, day, usd)
  SELECT n.team_id, coalesce(n.user_id, ''), (n.created_at AT TIME ZONE 'UTC')::date, sum(n.cost_usd)
    FROM new_usage n
   GROUP BY 1, 2, 3
  HAVING sum(n.cost_usd) <> 0
   ORDER BY 1, 2, 3
  ON CONFLICT (team_id, user_id, day) DO UPDATE SET usd = d.usd + excluded.usd;
  IF EXISTS (SELECT 1 FROM spend_caps) THEN
    PERFORM pg_notify('baton_spend_cap', json_build_object(
              'scope', s.scope, 'team', s.team_id, 'user', s.user_id, 'message', s.message)::text)
       FROM (SELECT DISTINCT n.team_id, coalesce(n.user_id, '') AS user_id FROM new_usage n) k
      CROSS JOIN LATERAL baton_cap_state(k.team_id, k.user_id) s
      WHERE s.spent >= s.usd;
  END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- Named to fire after usage_events_refs_check (triggers fire in name order): a missing team is
-- reported as the usage's own foreign key.
CREATE OR REPLACE TRIGGER usage_events_spend AFTER INSERT ON usage_events
  REFERENCING NEW TABLE AS new_usage FOR EACH STATEMENT EXECUTE FUNCTION baton_usage_spend();
--> statement-breakpoint
-- The statuses a task never leaves: one list for every function that needs it.
CREATE OR REPLACE FUNCTION baton_task_is_terminal(p_status task_status) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_status IN ('succeeded', 'failed', 'cancelled', 'timed_out', 'budget_exceeded')
$$;
